namespace Herald.Observability;

/// <summary>Counts per second over the last minute: one bucket per second, reused as the minute turns.</summary>
internal sealed class RateWindow
{
    public const int Seconds = 60;

    private readonly long[] _counts = new long[Seconds];
    private readonly long[] _second = new long[Seconds];
    private readonly Lock _lock = new();

    public void Add(long nowSeconds, long count)
    {
        var i = (int)(nowSeconds % Seconds);
        lock (_lock)
        {
            if (_second[i] != nowSeconds)
            {
                _second[i] = nowSeconds;
                _counts[i] = 0;
            }

            _counts[i] += count;
        }
    }

    /// <summary>The total of the last <see cref="Seconds"/> seconds up to <paramref name="nowSeconds"/>.</summary>
    public long Sum(long nowSeconds)
    {
        long sum = 0;
        lock (_lock)
        {
            for (var i = 0; i < Seconds; i++)
            {
                if (_second[i] > nowSeconds - Seconds && _second[i] <= nowSeconds)
                {
                    sum += _counts[i];
                }
            }
        }

        return sum;
    }
}
