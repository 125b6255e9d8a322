using Herald.Protocol;

namespace Herald.Storage;

/// <summary>An update with the position the store gave it.</summary>
public sealed class StoredUpdate
{
    private SseFrame? _frame;

    public StoredUpdate(long position, Update update, DateTimeOffset storedAt)
    {
        ArgumentNullException.ThrowIfNull(update.Id);
        Position = position;
        Update = update;
        StoredAt = storedAt;
    }

    /// <summary>Monotonic position in the store, starting at 1.</summary>
    public long Position { get; }

    public Update Update { get; }

    public DateTimeOffset StoredAt { get; }

    /// <summary>
    /// A retained update a newer one superseded, emptied in history (<see cref="HistoryLimits.LatestRetainedOnly"/>):
    /// its position and id stay, its data is gone; replay passes over it.
    /// </summary>
    public bool Superseded { get; init; }

    /// <summary>The stand-in kept in history for this superseded update: same position, id, topics and privacy, no data.</summary>
    internal StoredUpdate AsSuperseded() => new(Position, new Update { Id = Update.Id, Topics = Update.Topics, Private = Update.Private, Retain = true }, StoredAt) { Superseded = true };

    /// <summary>The SSE bytes, serialized on first use and then shared by every delivery and replay.</summary>
    internal SseFrame Frame => _frame ??= SseFrame.ForUpdate(Position, Update);
}
