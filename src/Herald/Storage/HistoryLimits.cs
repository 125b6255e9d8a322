namespace Herald.Storage;

/// <summary>The retention bounds every store honours: the oldest updates go first when any is exceeded.</summary>
public sealed record HistoryLimits(int MaxCount, TimeSpan MaxAge, long MaxBytes)
{
    public static HistoryLimits From(HeraldOptions options) =>
        new(options.HistoryMaxCount, options.HistoryMaxAge, options.HistoryMaxBytes);
}
