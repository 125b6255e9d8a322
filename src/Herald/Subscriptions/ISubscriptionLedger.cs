namespace Herald.Subscriptions;

/// <summary>A subscription opening or closing, with the hub-generated update that announces it.</summary>
internal sealed record SubscriptionChange(ActiveSubscription Subscription, bool Active, Update Event);

/// <summary>The subscriptions open at one point of the history, and that point's position (0: nothing stored yet).</summary>
internal sealed record SubscriptionSnapshot(IReadOnlyList<ActiveSubscription> Subscriptions, long Position);

/// <summary>
/// Where the list of open subscriptions is kept beside the history. Each change and the append of its event are one
/// step, so a list read at position P and a resume from P see every change exactly once. One node keeps it in memory;
/// nodes sharing a Redis keep the cluster's in Redis, with a lease per node.
/// </summary>
internal interface ISubscriptionLedger
{
    /// <summary>Applies changes in order (an open before its own close), appending each event.</summary>
    Task RecordAsync(IReadOnlyList<SubscriptionChange> changes, CancellationToken cancellationToken);

    ValueTask<SubscriptionSnapshot> SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>How often <see cref="MaintainAsync"/> must run (lease renewal, sweeping dead nodes); null for never.</summary>
    TimeSpan? MaintenanceInterval { get; }

    /// <summary>Renews this node's lease and closes the subscriptions of nodes whose lease lapsed, with their events.</summary>
    Task MaintainAsync(Func<ActiveSubscription, SubscriptionChange> closing, CancellationToken cancellationToken);
}
