using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;

namespace Herald.Cli.Probe;

/// <summary>Everything the probe found, as the table a human reads and the JSON a script reads.</summary>
internal sealed class ProbeReport
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,

        // Readable bodies (HTML pages, reasons) in the output; it is printed, never embedded in a page.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = CliJson.Default,
    };

    public required string Url { get; init; }

    public required bool Healthy { get; init; }

    public string Verdict => Healthy ? "healthy" : "problem";

    public required string Summary { get; init; }

    public required double DurationSeconds { get; init; }

    public required int AttemptsMade { get; init; }

    public required int StreamsOpened { get; init; }

    public double SuccessRate => AttemptsMade == 0 ? 0 : (double)StreamsOpened / AttemptsMade;

    public required List<AttemptResult> Attempts { get; init; }

    /// <summary>Heartbeat cadence per attempt that opened a stream.</summary>
    public required List<Heartbeat> Heartbeats { get; init; }

    public MarkerResult? Marker { get; init; }

    public double? MarkerLatencyMs { get; init; }

    public required List<Diagnosis> Diagnoses { get; init; }

    public static ProbeReport Build(ProbeOptions options, List<AttemptResult> attempts, MarkerResult? marker)
    {
        var diagnoses = new List<Diagnosis>();
        foreach (var attempt in attempts)
        {
            foreach (var found in DiagnosisRules.For(attempt, options, marker?.Accepted == true))
            {
                var index = diagnoses.FindIndex(d => d.Code == found.Code);
                if (index < 0)
                {
                    diagnoses.Add(found);
                }
                else
                {
                    diagnoses[index].Attempts.AddRange(found.Attempts);
                }
            }
        }

        if (marker is { Accepted: false })
        {
            diagnoses.Add(Diagnosis.MarkerPublishFailed with { Detail = $"HTTP {marker.Status?.ToString() ?? "-"}: {marker.Error}" });
        }

        var opened = attempts.Count(a => a.IsStream);
        if (opened > 0 && opened < attempts.Count)
        {
            diagnoses.Add(Diagnosis.LowSuccessRate with { Detail = $"{opened} of {attempts.Count} attempts opened a stream" });
        }

        var latencies = attempts.Where(a => a.MarkerLatencyMs is not null).Select(a => a.MarkerLatencyMs!.Value).ToList();
        var healthy = diagnoses.Count == 0;
        return new ProbeReport
        {
            Url = options.SubscribeUrl.ToString(),
            Healthy = healthy,
            Summary = healthy
                ? $"healthy: {opened}/{attempts.Count} streams opened" + (latencies.Count > 0 ? $", marker delivered in {DiagnosisRules.Seconds(latencies.Max())}" : "")
                : string.Join("; ", diagnoses.Select(d => d.Title.ToLowerInvariant())),
            DurationSeconds = options.Duration.TotalSeconds,
            AttemptsMade = attempts.Count,
            StreamsOpened = opened,
            Attempts = attempts,
            Heartbeats = [.. attempts.Where(a => a.IsStream).Select(a => Heartbeat.Measure(a, options.ExpectedHeartbeat))],
            Marker = marker,
            MarkerLatencyMs = latencies.Count > 0 ? latencies.Max() : null,
            Diagnoses = diagnoses,
        };
    }

    public string ToJson() => JsonSerializer.Serialize(this, (JsonTypeInfo<ProbeReport>)Json.GetTypeInfo(typeof(ProbeReport)));

    public void Render(IAnsiConsole console)
    {
        console.MarkupLine($"[bold]herald probe[/] {Markup.Escape(Url)}");
        var waterfall = new Table().Title("Waterfall (ms since the connection started)").AddColumns("#", "DNS", "TCP", "TLS", "headers", "first byte", "first event", "answer");
        foreach (var a in Attempts)
        {
            waterfall.AddRow(
                a.Attempt.ToString(),
                Ms(a.DnsMs), Ms(a.ConnectMs), Ms(a.TlsMs), Ms(a.HeadersMs), Ms(a.FirstByteMs), Ms(a.FirstEventMs),
                Markup.Escape(a.Status is { } s ? $"{s} {a.HttpVersion}" : a.Failure ?? "-"));
        }

        console.Write(waterfall);

        var first = Attempts.FirstOrDefault(a => a.Status is not null);
        if (first is not null)
        {
            var headers = new Table().Title("Response headers").AddColumns("header", "value");
            headers.AddRow("HTTP version", Markup.Escape(first.HttpVersion ?? "-"));
            foreach (var name in ProbeAttempt.InterestingHeaders)
            {
                headers.AddRow(name, Markup.Escape(first.Headers.GetValueOrDefault(name) ?? "(absent)"));
            }

            console.Write(headers);
        }

        var streams = new Table().Title("Stream").AddColumns("#", "events", "comments", "bytes", "gap mean", "gap max", "vs 60 s", "vs 100 s", "marker");
        foreach (var (a, h) in Attempts.Where(a => a.IsStream).Zip(Heartbeats))
        {
            streams.AddRow(
                a.Attempt.ToString(), a.Events.ToString(), a.Comments.ToString(), a.Bytes.ToString(),
                Ms(h.MeanGapMs), Ms(h.MaxGapMs), h.Within60s, h.Within100s, Ms(a.MarkerLatencyMs));
        }

        if (streams.Rows.Count > 0)
        {
            console.Write(streams);
        }

        foreach (var d in Diagnoses)
        {
            console.MarkupLine($"[red]✗ {Markup.Escape(d.Title)}[/]" + (d.Detail is null ? "" : $" ({Markup.Escape(d.Detail)})") + (d.Attempts.Count > 0 ? $" [grey]attempts {string.Join(",", d.Attempts)}[/]" : ""));
            console.MarkupLine($"  {Markup.Escape(d.Explanation)}");
            console.MarkupLine($"  [grey]fix:[/] {Markup.Escape(d.Fix)}");
        }

        console.MarkupLine(Healthy ? $"[green]Verdict: {Markup.Escape(Summary)}[/]" : $"[red]Verdict: problem: {Markup.Escape(Summary)}[/]");
    }

    private static string Ms(double? ms) => ms is { } v ? v.ToString("0.0") : "-";
}
