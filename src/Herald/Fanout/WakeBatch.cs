using System.Collections.Concurrent;

namespace Herald.Fanout;

/// <summary>
/// The writers one dispatch found parked, woken a batch per thread-pool item instead of one item each: each batch
/// runs its writers one after another on its thread (write, flush, park), so a fan-out to 10,000 streams costs ~80
/// work items instead of 10,000, and batches still run in parallel on every core. Used by the dispatcher's thread only.
/// </summary>
internal sealed class WakeBatch
{
    /// <summary>128 writers per item: small enough that batches spread over the cores, large enough to amortize the item.</summary>
    private const int BatchSize = 128;

    private readonly ConcurrentBag<Batch> _free = [];
    private Batch? _filling;

    public void Add(Subscriber subscriber)
    {
        var batch = _filling ??= Rent();
        batch.Items[batch.Count++] = subscriber;
        if (batch.Count == BatchSize)
        {
            Send();
        }
    }

    /// <summary>Queues the last, partly filled batch (call once the dispatch has enqueued every frame).</summary>
    public void Send()
    {
        if (_filling is { } batch)
        {
            _filling = null;
            ThreadPool.UnsafeQueueUserWorkItem(batch, preferLocal: false);
        }
    }

    private Batch Rent() => _free.TryTake(out var batch) ? batch : new Batch(this);

    private sealed class Batch(WakeBatch owner) : IThreadPoolWorkItem
    {
        public readonly Subscriber[] Items = new Subscriber[BatchSize];
        public int Count;

        public void Execute()
        {
            for (var i = 0; i < Count; i++)
            {
                var subscriber = Items[i];
                Items[i] = null!;
                subscriber.WakeInline();
            }

            Count = 0;
            owner._free.Add(this);
        }
    }
}
