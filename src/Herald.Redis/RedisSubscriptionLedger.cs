using Herald.Subscriptions;

namespace Herald.Redis;

/// <summary>
/// The cluster's subscriptions in Redis: each node lists its own under a lease it renews; the list answers every
/// node's. When a node dies its lease lapses, and the first survivor to notice announces its subscriptions closed (one
/// script per subscription, so two survivors never announce one twice).
/// </summary>
internal sealed class RedisSubscriptionLedger(RedisHistoryStore store, TimeSpan lease) : ISubscriptionLedger
{
    /// <summary>This process: a node id lives as long as its connections do.</summary>
    public string Node { get; } = Guid.NewGuid().ToString("N");

    public TimeSpan? MaintenanceInterval => lease / 3;

    private bool _leased;

    public async Task RecordAsync(IReadOnlyList<SubscriptionChange> changes, CancellationToken cancellationToken)
    {
        // Leased before the first listing, or another node could sweep a subscription the moment it is listed.
        if (!_leased)
        {
            await store.RenewPresenceLeaseAsync(Node, lease).ConfigureAwait(false);
            _leased = true;
        }

        // Issued in order before any is awaited: one connection runs them in that order, a pipeline instead of round trips.
        var pending = new Task<bool>[changes.Count];
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            pending[i] = store.AppendPresenceAsync(change.Event, Node, change.Subscription.Id, change.Active ? change.Event.Data : null);
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    public async ValueTask<SubscriptionSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var (position, data) = await store.ReadPresenceAsync().ConfigureAwait(false);
        var list = new List<ActiveSubscription>(data.Count);
        foreach (var item in data)
        {
            if (SubscriptionJson.TryRead(item) is { } subscription)
            {
                list.Add(subscription);
            }
        }

        return new SubscriptionSnapshot(list, position);
    }

    public async Task MaintainAsync(Func<ActiveSubscription, SubscriptionChange> closing, CancellationToken cancellationToken)
    {
        await store.RenewPresenceLeaseAsync(Node, lease).ConfigureAwait(false);
        foreach (var (node, id, data) in await store.LapsedPresenceAsync(Node).ConfigureAwait(false))
        {
            if (SubscriptionJson.TryRead(data) is { } subscription)
            {
                var change = closing(subscription);
                await store.AppendPresenceAsync(change.Event, node, id, null).ConfigureAwait(false);
            }
        }
    }
}
