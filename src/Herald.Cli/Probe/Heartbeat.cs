namespace Herald.Cli.Probe;

/// <summary>
/// Silence on an open stream, as an idle timeout sees it: the gaps between reads that brought bytes, plus the
/// silence from the last read to the end of the window (a lower bound, the stream was still quiet).
/// </summary>
internal sealed record Heartbeat(int Gaps, double? MeanGapMs, double? MaxGapMs, double WindowMs, bool Observed, string Within60s, string Within100s)
{
    /// <summary>nginx's proxy_read_timeout and AWS ALB's idle timeout default to 60 s.</summary>
    public const double CommonIdleTimeoutMs = 60_000;

    /// <summary>Cloudflare's proxy read timeout is 100 s.</summary>
    public const double LongIdleTimeoutMs = 100_000;

    public static Heartbeat Measure(AttemptResult attempt, TimeSpan expected)
    {
        var chunks = attempt.ChunkTimes;
        var start = attempt.FirstByteMs ?? attempt.HeadersMs ?? 0;
        var window = attempt.EndedMs - start;
        var gaps = new List<double>();
        for (var i = 1; i < chunks.Count; i++)
        {
            gaps.Add(chunks[i] - chunks[i - 1]);
        }

        var trailing = attempt.EndedMs - (chunks.Count > 0 ? chunks[^1] : start);
        var max = Math.Max(gaps.Count > 0 ? gaps.Max() : 0, trailing);

        // One full gap is a heartbeat seen; a silent window longer than two expected intervals is an absence seen.
        var observed = gaps.Count > 0 || window >= 2 * expected.TotalMilliseconds || max >= CommonIdleTimeoutMs;
        return new Heartbeat(
            gaps.Count,
            gaps.Count > 0 ? gaps.Average() : null,
            observed ? max : null,
            window,
            observed,
            Compare(observed, max, CommonIdleTimeoutMs),
            Compare(observed, max, LongIdleTimeoutMs));
    }

    private static string Compare(bool observed, double max, double limit) => !observed ? "not observed" : max < limit ? "ok" : "too slow";
}
