using Herald.Protocol;

namespace Herald.Storage;

/// <summary>
/// The retention bounds every store honours: the oldest updates go first when any is exceeded. <see cref="MaxBytes"/>
/// bounds the sum of <see cref="SizeOf"/> over the retained updates, in every store.
/// </summary>
public sealed record HistoryLimits(int MaxCount, TimeSpan MaxAge, long MaxBytes)
{
    /// <summary>
    /// A retained update superseded for every topic it was the latest value of is emptied in history (position kept,
    /// passed over by replay; its id stays known, a retry of it is a duplicate). See <see cref="HeraldOptions.HistoryKeepsLatestRetainedOnly"/>.
    /// </summary>
    public bool LatestRetainedOnly { get; init; }

    /// <summary>
    /// The bytes one update counts against <see cref="MaxBytes"/>: the UTF-8 size of its SSE frame (<c>event:</c>,
    /// <c>retry:</c>, <c>id:</c> and <c>data:</c> lines and the blank line), exactly what a replay sends for it. The same
    /// in every store, so a limit means the same whichever keeps the history; bookkeeping a store adds (indexes, JSON,
    /// Redis entry fields) is not counted.
    /// </summary>
    public static long SizeOf(Update update)
    {
        StorableUpdate.RequireId(update);
        return SseFrame.LengthOf(update);
    }

    /// <summary>
    /// Memory: 10,000 updates, one day, 64 MiB — covers a few minutes of a busy hub's reconnects (and a laptop that
    /// slept overnight) while keeping the process's memory predictable.
    /// </summary>
    public static readonly HistoryLimits MemoryDefaults = new(10_000, TimeSpan.FromDays(1), 64L * 1024 * 1024);

    /// <summary>SQLite: 100,000 updates, 7 days, 1 GiB — a disk holds far more than memory; a week covers weekend outages.</summary>
    public static readonly HistoryLimits DurableDefaults = new(100_000, TimeSpan.FromDays(7), 1024L * 1024 * 1024);

    /// <summary>The configured limits, each unset one taken from the store's defaults.</summary>
    public static HistoryLimits From(HeraldOptions options, HistoryLimits defaults) => new(
        options.HistoryMaxCount ?? defaults.MaxCount,
        options.HistoryMaxAge ?? defaults.MaxAge,
        options.HistoryMaxBytes ?? defaults.MaxBytes)
    {
        LatestRetainedOnly = options.HistoryKeepsLatestRetainedOnly,
    };
}
