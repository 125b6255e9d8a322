namespace Herald.Observability;

/// <summary>The latest latencies (a ring of the last <see cref="Capacity"/>), for percentiles in the stats report.</summary>
internal sealed class LatencySamples
{
    public const int Capacity = 1024;

    private readonly double[] _seconds = new double[Capacity];
    private readonly Lock _lock = new();
    private long _count;

    public void Add(double seconds)
    {
        lock (_lock)
        {
            _seconds[_count++ % Capacity] = seconds;
        }
    }

    /// <summary>The p-th percentile (0–100) in milliseconds of the samples held, or null when there are none.</summary>
    public double? PercentileMs(double p)
    {
        double[] copy;
        lock (_lock)
        {
            copy = _seconds[..(int)Math.Min(_count, Capacity)];
        }

        if (copy.Length == 0)
        {
            return null;
        }

        Array.Sort(copy);
        var rank = (int)Math.Ceiling(p / 100 * copy.Length) - 1;
        return Math.Round(copy[Math.Clamp(rank, 0, copy.Length - 1)] * 1000, 3);
    }
}
