namespace Herald.Cli.Probe;

/// <summary>Turns what each attempt saw into named problems.</summary>
internal static class DiagnosisRules
{
    /// <summary>Items closer than this arrived together: one read, or one flush of a buffer.</summary>
    public const double BurstGapMs = 25;

    /// <summary>A burst after this much silence since the connection opened (or the previous burst) looks like a buffer flushing, not live traffic.</summary>
    public const double BurstSilenceMs = 500;

    /// <summary>Fewer items than this cannot show a pattern.</summary>
    public const int BurstMinItems = 4;

    /// <summary>Bursts this large on average mean items are being held back and released together.</summary>
    public const double BurstMeanSize = 3;

    /// <summary>A hub delivers in milliseconds; a marker taking a second or more was held somewhere.</summary>
    public const double SlowMarkerMs = 1000;

    /// <summary>Windows ending this close to the probe's own end were ended by the probe, not the server.</summary>
    public const double ProbeEndSlackMs = 250;

    public static List<Diagnosis> For(AttemptResult a, ProbeOptions options, bool markerPublished)
    {
        var found = new List<Diagnosis>();
        if (a.Failure is { } failure && a.HeadersMs is null)
        {
            var kind = failure switch
            {
                "connection-refused" => Diagnosis.ConnectionRefused,
                "connection-reset" => Diagnosis.ConnectionReset,
                "timeout" => Diagnosis.Timeout,
                "tls-failure" => Diagnosis.TlsFailure,
                "dns-failure" => Diagnosis.DnsFailure,
                _ => Diagnosis.ConnectionError,
            };
            found.Add(kind.With(a.FailureMessage, a.Attempt));
            return found;
        }

        var reason = FirstLine(a.BodyExcerpt);
        switch (a.Status)
        {
            case 404 or 405 or 410:
                found.Add(Diagnosis.NotFound.With($"HTTP {a.Status}", a.Attempt));
                return found;
            case 401 or 403:
                found.Add(Diagnosis.AuthRefused.With($"HTTP {a.Status}" + (reason is null ? "" : ": " + reason), a.Attempt));
                return found;
            case >= 400:
                found.Add(Diagnosis.HttpError.With($"HTTP {a.Status}" + (reason is null ? "" : ": " + reason), a.Attempt));
                return found;
        }

        if (!a.IsStream)
        {
            var html = a.BodyExcerpt is { } body && (body.Contains("<html", StringComparison.OrdinalIgnoreCase) || body.Contains("<!doctype", StringComparison.OrdinalIgnoreCase));
            found.Add(Diagnosis.WrongContentType.With($"HTTP {a.Status}, Content-Type: {a.ContentType ?? "(none)"}" + (html ? " (an HTML page)" : ""), a.Attempt));
            return found;
        }

        if (a.Failure == "connection-reset")
        {
            found.Add(Diagnosis.ConnectionReset.With($"after {Seconds(a.EndedMs)}: {a.FailureMessage}", a.Attempt));
        }
        else if (a.EndedByServer)
        {
            found.Add(Diagnosis.StreamClosed.With($"closed by the server after {Seconds(a.EndedMs)} ({a.Events} events)", a.Attempt));
        }

        if (Bursts(a, out var detail))
        {
            found.Add(Diagnosis.Buffered.With(detail, a.Attempt));
        }
        else if (a.MarkerLatencyMs is > SlowMarkerMs)
        {
            found.Add(Diagnosis.Buffered.With($"the marker took {Seconds(a.MarkerLatencyMs.Value)} to arrive", a.Attempt));
        }

        if (a.Headers.TryGetValue("Content-Encoding", out var encoding) && !string.Equals(encoding, "identity", StringComparison.OrdinalIgnoreCase))
        {
            found.Add(Diagnosis.Buffered.With($"Content-Encoding: {encoding} on an event stream: compressors hold events until their buffer fills", a.Attempt));
        }

        if (!a.EndedByServer)
        {
            var heartbeat = Heartbeat.Measure(a, options.ExpectedHeartbeat);
            if (heartbeat.MaxGapMs >= Heartbeat.CommonIdleTimeoutMs)
            {
                found.Add(Diagnosis.HeartbeatTooSlow.With($"silent for {Seconds(heartbeat.MaxGapMs.Value)}", a.Attempt));
            }
            else if (heartbeat.Observed && heartbeat.Gaps == 0)
            {
                found.Add(Diagnosis.NoHeartbeat.With($"nothing after the first bytes for {Seconds(heartbeat.MaxGapMs ?? heartbeat.WindowMs)} (expected a heartbeat every {Seconds(options.ExpectedHeartbeat.TotalMilliseconds)})", a.Attempt));
            }
        }

        if (markerPublished && a.MarkerLatencyMs is null && !a.EndedByServer)
        {
            found.Add(Diagnosis.MarkerNotReceived.With(null, a.Attempt));
        }

        return found;
    }

    /// <summary>Items grouped by arrival: many per group, released after a silence, is a buffer flushing.</summary>
    private static bool Bursts(AttemptResult a, out string detail)
    {
        detail = "";
        var times = a.ItemTimes;
        if (times.Count < BurstMinItems)
        {
            return false;
        }

        var groups = new List<(double Start, int Size)>();
        var previous = double.NegativeInfinity;
        foreach (var t in times)
        {
            if (t - previous > BurstGapMs)
            {
                groups.Add((t, 0));
            }

            groups[^1] = (groups[^1].Start, groups[^1].Size + 1);
            previous = t;
        }

        var meanSize = (double)times.Count / groups.Count;
        // From the connection, not the headers: a proxy that buffers may hold the headers back with the events.
        var before = a.TlsMs ?? a.ConnectMs ?? 0;
        var silentBefore = false;
        foreach (var group in groups)
        {
            silentBefore |= group.Size >= BurstMeanSize && group.Start - before >= BurstSilenceMs;
            before = group.Start;
        }

        if (meanSize < BurstMeanSize || !silentBefore)
        {
            return false;
        }

        var largest = groups.MaxBy(g => g.Size);
        detail = $"{times.Count} events/comments arrived in {groups.Count} burst(s); {largest.Size} at once, {Seconds(largest.Start - (a.TlsMs ?? a.ConnectMs ?? 0))} after connecting";
        return true;
    }

    public static string Seconds(double ms) => ms < 1000 ? $"{ms:0} ms" : $"{ms / 1000:0.0} s";

    private static string? FirstLine(string? text)
    {
        var line = text?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return string.IsNullOrEmpty(line) ? null : line.Length > 160 ? line[..160] + "…" : line;
    }
}
