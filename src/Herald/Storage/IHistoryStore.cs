namespace Herald.Storage;

/// <summary>
/// Where updates are kept, in order, and the feed that drives dispatch. Every publish goes through
/// <see cref="AppendAsync"/>; every node dispatches only what <see cref="ReadFeedAsync"/> yields, so a single node
/// and a cluster deliver alike.
/// </summary>
public interface IHistoryStore
{
    /// <summary>
    /// Stores an update that already has its id and assigns it the next position. Positions are dense: each new
    /// update gets the previous one plus one (replay limits count updates by subtracting positions). An id already retained with the
    /// same content is a <see cref="AppendStatus.Duplicate"/> (nothing stored); with other content a <see cref="AppendStatus.Conflict"/>.
    /// Returns only once the update is as durable as the store makes it.
    /// </summary>
    ValueTask<AppendResult> AppendAsync(Update update, CancellationToken cancellationToken);

    /// <summary>The position of a retained update with this id, or null when it is unknown or no longer retained.</summary>
    ValueTask<long?> FindPositionAsync(string id, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="maxCount"/> retained updates after a position, in store order (0 reads from the earliest).</summary>
    ValueTask<IReadOnlyList<StoredUpdate>> ReadAfterAsync(long afterPosition, int maxCount, CancellationToken cancellationToken);

    /// <summary>The position of the latest stored update (0 when empty).</summary>
    ValueTask<long> GetHeadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Names this history. It changes whenever positions start over — a new or replaced SQLite file, an emptied or
    /// replaced Redis, a memory store after a restart — so a cursor taken in another generation is recognised as
    /// naming no point of this history. Opaque: letters and digits only.
    /// </summary>
    ValueTask<string> GetGenerationAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Every update stored from now on, in store order, each once. One consumer per store: the node's dispatcher.
    /// </summary>
    IAsyncEnumerable<StoredUpdate> ReadFeedAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The topics that have a latest value (an appended update with <see cref="Update.Retain"/> names them), each with
    /// the position of that value; only those of <paramref name="topics"/> when given, else every one. Latest values
    /// are kept apart from the history: retention never removes them; a replaced history loses them with its positions.
    /// </summary>
    ValueTask<IReadOnlyList<RetainedTopic>> ListRetainedAsync(IReadOnlyCollection<string>? topics, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<RetainedTopic>>([]);

    /// <summary>
    /// False only when this store certainly holds no latest value at all, so a new subscription skips asking for them
    /// (every connect would otherwise pay a lookup). True when it may: the store is then asked.
    /// </summary>
    bool MayHoldRetained => true;

    /// <summary>The latest value of each of <paramref name="topics"/> that has one, in the order asked (one update may be the value of several).</summary>
    ValueTask<IReadOnlyList<StoredUpdate>> ReadRetainedAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<StoredUpdate>>([]);
}

/// <summary>A topic with a latest value, and the store position of that value.</summary>
public readonly record struct RetainedTopic(string Topic, long Position);
