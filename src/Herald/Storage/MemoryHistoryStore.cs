using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Herald.Storage;

/// <summary>
/// History kept in process memory: fast, bounded by <see cref="HistoryLimits"/>, lost on restart.
/// The default of an embedding app; <c>herald serve</c> uses a durable store.
/// </summary>
public sealed class MemoryHistoryStore : IHistoryStore
{
    private readonly Lock _lock = new();
    private readonly List<StoredUpdate> _entries = [];
    private readonly Dictionary<string, StoredUpdate> _byId = new(StringComparer.Ordinal);

    /// <summary>Latest values by topic: apart from the history list, so retention never removes them.</summary>
    private readonly Dictionary<string, StoredUpdate> _retained = new(StringComparer.Ordinal);
    private readonly Channel<StoredUpdate> _feed = Channel.CreateUnbounded<StoredUpdate>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HistoryLimits _limits;
    private readonly TimeProvider _time;
    private readonly ValueTask<string> _generation = ValueTask.FromResult(StoreGeneration.New());
    private int _start;
    private long _bytes;
    private int _exempt;
    private long _head;
    private bool _feedTaken;

    public MemoryHistoryStore(HistoryLimits limits, TimeProvider time)
    {
        _limits = limits;
        _time = time;
    }

    internal int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count - _start;
            }
        }
    }

    public ValueTask<AppendResult> AppendAsync(Update update, CancellationToken cancellationToken)
    {
        var id = StorableUpdate.RequireId(update);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            EvictExpired(now);
            if (_byId.TryGetValue(id, out var existing))
            {
                // A superseded version's content is gone: a retry of it is acknowledged, never stored again over a newer value.
                var status = existing.Superseded || existing.Update.SameContentAs(update) ? AppendStatus.Duplicate : AppendStatus.Conflict;
                return ValueTask.FromResult(new AppendResult(status, id, existing.Position));
            }

            var stored = new StoredUpdate(++_head, update, now);
            _entries.Add(stored);
            _byId[id] = stored;
            _bytes += stored.Frame.Length;
            _exempt += update.IsSubscriptionEvent ? 1 : 0;
            if (update.Retain)
            {
                List<StoredUpdate>? replaced = null;
                foreach (var topic in update.Topics)
                {
                    if (_retained.TryGetValue(topic, out var previous) && !ReferenceEquals(previous, stored))
                    {
                        (replaced ??= []).Add(previous);
                    }

                    _retained[topic] = stored;
                }

                if (_limits.LatestRetainedOnly && replaced is not null)
                {
                    foreach (var previous in replaced.Distinct())
                    {
                        Supersede(previous);
                    }
                }
            }

            EvictOverLimits();

            // Written under the lock so the feed carries positions in order.
            _feed.Writer.TryWrite(stored);
            return ValueTask.FromResult(new AppendResult(AppendStatus.Appended, id, stored.Position));
        }
    }

    public ValueTask<long?> FindPositionAsync(string id, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            EvictExpired(_time.GetUtcNow());
            return ValueTask.FromResult(_byId.TryGetValue(id, out var stored) ? stored.Position : (long?)null);
        }
    }

    public ValueTask<IReadOnlyList<StoredUpdate>> ReadAfterAsync(long afterPosition, int maxCount, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            EvictExpired(_time.GetUtcNow());
            var count = _entries.Count - _start;
            if (count == 0)
            {
                return ValueTask.FromResult<IReadOnlyList<StoredUpdate>>([]);
            }

            // Positions are contiguous, so the first wanted entry is found by arithmetic, not by search.
            var first = _entries[_start].Position;
            var from = _start + (int)Math.Clamp(afterPosition + 1 - first, 0, count);
            var take = Math.Min(maxCount, _entries.Count - from);
            return ValueTask.FromResult<IReadOnlyList<StoredUpdate>>(take <= 0 ? [] : _entries.GetRange(from, take));
        }
    }

    public ValueTask<long> GetHeadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_head);
        }
    }

    public bool MayHoldRetained
    {
        get
        {
            lock (_lock)
            {
                return _retained.Count > 0;
            }
        }
    }

    public ValueTask<IReadOnlyList<RetainedTopic>> ListRetainedAsync(IReadOnlyCollection<string>? topics, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var listed = new List<RetainedTopic>();
            if (topics is null)
            {
                foreach (var (topic, stored) in _retained)
                {
                    listed.Add(new RetainedTopic(topic, stored.Position));
                }
            }
            else
            {
                foreach (var topic in topics)
                {
                    if (_retained.TryGetValue(topic, out var stored))
                    {
                        listed.Add(new RetainedTopic(topic, stored.Position));
                    }
                }
            }

            return ValueTask.FromResult<IReadOnlyList<RetainedTopic>>(listed);
        }
    }

    public ValueTask<IReadOnlyList<StoredUpdate>> ReadRetainedAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var values = new List<StoredUpdate>(topics.Count);
            foreach (var topic in topics)
            {
                if (_retained.TryGetValue(topic, out var stored))
                {
                    values.Add(stored);
                }
            }

            return ValueTask.FromResult<IReadOnlyList<StoredUpdate>>(values);
        }
    }

    /// <summary>A new generation per instance: positions start over with the process.</summary>
    public ValueTask<string> GetGenerationAsync(CancellationToken cancellationToken) => _generation;

    public async IAsyncEnumerable<StoredUpdate> ReadFeedAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_feedTaken)
            {
                throw new InvalidOperationException("The feed of a memory store has a single consumer: the hub's dispatcher.");
            }

            _feedTaken = true;
        }

        await foreach (var stored in _feed.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return stored;
        }
    }

    /// <summary>Empties a latest value in history once no topic names it any more.</summary>
    private void Supersede(StoredUpdate previous)
    {
        foreach (var topic in previous.Update.Topics)
        {
            if (_retained.TryGetValue(topic, out var value) && ReferenceEquals(value, previous))
            {
                return;
            }
        }

        var count = _entries.Count - _start;
        var index = count == 0 ? -1 : _start + (int)(previous.Position - _entries[_start].Position);
        if (index < _start || index >= _entries.Count || !ReferenceEquals(_entries[index], previous))
        {
            // Already evicted from history.
            return;
        }

        var stand = previous.AsSuperseded();
        _entries[index] = stand;
        _byId[previous.Update.Id!] = stand;
        _bytes += stand.Frame.Length - previous.Frame.Length;
    }

    private void EvictOverLimits()
    {
        // Subscription events are not counted: the oldest go with the application updates older than the retained window.
        while (_entries.Count - _start > 0 && (_entries.Count - _start - _exempt > _limits.MaxCount || _bytes > _limits.MaxBytes))
        {
            RemoveOldest();
        }

        Compact();
    }

    private void EvictExpired(DateTimeOffset now)
    {
        if (_limits.MaxAge <= TimeSpan.Zero)
        {
            return;
        }

        var cutoff = now - _limits.MaxAge;
        while (_entries.Count - _start > 0 && _entries[_start].StoredAt < cutoff)
        {
            RemoveOldest();
        }

        Compact();
    }

    private void RemoveOldest()
    {
        var oldest = _entries[_start];
        _entries[_start++] = null!;
        _byId.Remove(oldest.Update.Id!);
        _bytes -= oldest.Frame.Length;
        _exempt -= oldest.Update.IsSubscriptionEvent ? 1 : 0;
    }

    /// <summary>Drops evicted slots once they are half the list, so removal stays amortized O(1).</summary>
    private void Compact()
    {
        if (_start > 1024 && _start * 2 > _entries.Count)
        {
            _entries.RemoveRange(0, _start);
            _start = 0;
        }
    }
}
