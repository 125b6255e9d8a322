namespace Herald;

/// <summary>One update published to the hub. Immutable once published.</summary>
public sealed class Update
{
    /// <summary>The topics of the update: the first is canonical, the others are alternates. At least one.</summary>
    public required IReadOnlyList<string> Topics { get; init; }

    /// <summary>The payload; may span several lines.</summary>
    public string Data { get; init; } = "";

    /// <summary>The id; when null the hub assigns <c>urn:uuid:&lt;uuid v7&gt;</c>.</summary>
    public string? Id { get; init; }

    /// <summary>The SSE event type; null for the default <c>message</c>.</summary>
    public string? Type { get; init; }

    /// <summary>The reconnection delay in milliseconds to send to subscribers.</summary>
    public long? Retry { get; init; }

    /// <summary>Private updates reach only subscribers whose token grants one of the topics.</summary>
    public bool Private { get; init; }

    /// <summary>
    /// Makes this update the latest value of each of its topics: a subscriber that connects without a cursor receives
    /// it first, and it outlives history retention until a newer retained update of the topic replaces it.
    /// </summary>
    public bool Retain { get; init; }

    /// <summary>
    /// The publish span this update was stored under, so its dispatch can link to it (kept with the update in memory
    /// and SQLite; not stored: an update read back from the store, as on other Redis nodes, has none).
    /// </summary>
    internal System.Diagnostics.ActivityContext PublishContext { get; init; }

    /// <summary>
    /// A hub-generated subscription event (publishers cannot use the reserved namespace): kept in the history for
    /// resume, but not counted against <c>HistoryMaxCount</c>, so a reconnect storm never evicts the application's updates.
    /// </summary>
    internal bool IsSubscriptionEvent =>
        Topics.Count > 0 && Topics[0].StartsWith(Subscriptions.SubscriptionPaths.Collection + "/", StringComparison.Ordinal);

    /// <summary>True when a retried publish carries the same content, so it can be acknowledged without delivering twice.</summary>
    internal bool SameContentAs(Update other) =>
        Data == other.Data && Type == other.Type && Retry == other.Retry && Private == other.Private && Retain == other.Retain
        && Topics.SequenceEqual(other.Topics, StringComparer.Ordinal);

    internal Update WithId(string id) => new()
    {
        Topics = Topics, Data = Data, Id = id, Type = Type, Retry = Retry, Private = Private, Retain = Retain, PublishContext = PublishContext,
    };

    internal Update AsRetained() => new()
    {
        Topics = Topics, Data = Data, Id = Id, Type = Type, Retry = Retry, Private = Private, Retain = true, PublishContext = PublishContext,
    };

    internal Update WithPublishContext(System.Diagnostics.ActivityContext context) => new()
    {
        Topics = Topics, Data = Data, Id = Id, Type = Type, Retry = Retry, Private = Private, Retain = Retain, PublishContext = context,
    };
}
