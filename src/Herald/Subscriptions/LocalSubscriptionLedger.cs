using Herald.Storage;

namespace Herald.Subscriptions;

/// <summary>
/// The subscriptions of a single node (memory and SQLite stores), kept in memory: a restarted hub starts with none,
/// as its connections did not survive it. A batch's events are appended together (one SQLite commit) under the same
/// lock a snapshot takes, so a snapshot's position covers exactly the changes it lists.
/// </summary>
internal sealed class LocalSubscriptionLedger(IHistoryStore store) : ISubscriptionLedger
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, (long Order, ActiveSubscription Subscription)> _open = new(StringComparer.Ordinal);
    private long _order;

    public TimeSpan? MaintenanceInterval => null;

    public async Task RecordAsync(IReadOnlyList<SubscriptionChange> changes, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Every append is issued before any is awaited: each store takes them in call order, and SQLite commits them
            // as one batch instead of one commit per event.
            var appends = new ValueTask<AppendResult>[changes.Count];
            for (var i = 0; i < changes.Count; i++)
            {
                appends[i] = store.AppendAsync(changes[i].Event, CancellationToken.None);
            }

            HistoryStoreException? failure = null;
            for (var i = 0; i < changes.Count; i++)
            {
                try
                {
                    await appends[i].ConfigureAwait(false);
                }
                catch (HistoryStoreException e)
                {
                    failure ??= e;
                }

                // The list follows the connections even when an event could not be stored: it is what is open.
                var change = changes[i];
                if (change.Active)
                {
                    _open[change.Subscription.Id] = (++_order, change.Subscription);
                }
                else
                {
                    _open.Remove(change.Subscription.Id);
                }
            }

            if (failure is not null)
            {
                throw failure;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask<SubscriptionSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var list = _open.Values.OrderBy(v => v.Order).Select(v => v.Subscription).ToList();
            return new SubscriptionSnapshot(list, await store.GetHeadAsync(cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _lock.Release();
        }
    }

    public Task MaintainAsync(Func<ActiveSubscription, SubscriptionChange> closing, CancellationToken cancellationToken) => Task.CompletedTask;
}
