using Herald.Storage;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// A real memory store with a window onto its reads: how many run at once, a gate that can hold them, a health flag
/// and a switch that makes reads fail as an unreachable store's do. For the hub's own caps and refusals, which only
/// show at the store's edge.
/// </summary>
public sealed class InstrumentedStore(TimeProvider time) : IHistoryStore, IHealthCheckable
{
    private readonly MemoryHistoryStore _inner = new(new HistoryLimits(10_000, TimeSpan.Zero, long.MaxValue), time);
    private readonly Lock _lock = new();
    private TaskCompletionSource _gate = Open();
    private int _inFlight;

    /// <summary>Set to make the store report itself unreachable (readiness, new subscriptions).</summary>
    public string? Unavailable { get; set; }

    /// <summary>When set, history reads throw as an unreachable store's do.</summary>
    public bool FailReads { get; set; }

    public int MaxReadsInFlight { get; private set; }

    public int ReadsStarted { get; private set; }

    /// <summary>Holds every read from now on until <see cref="ReleaseReads"/>.</summary>
    public void HoldReads()
    {
        lock (_lock)
        {
            _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void ReleaseReads()
    {
        lock (_lock)
        {
            _gate.TrySetResult();
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> reads have started.</summary>
    public async Task WaitForReadsAsync(int count)
    {
        using var limit = new CancellationTokenSource(SseStream.WaitLimit);
        while (ReadsStarted < count)
        {
            await Task.Delay(5, limit.Token);
        }
    }

    /// <summary>When set, appends throw as an unreachable store's do.</summary>
    public bool FailAppends { get; set; }

    private readonly TaskCompletionSource _appendRefused = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once an append was refused (<see cref="FailAppends"/>).</summary>
    public Task AppendRefused => _appendRefused.Task;

    public ValueTask<AppendResult> AppendAsync(Update update, CancellationToken cancellationToken)
    {
        if (FailAppends)
        {
            _appendRefused.TrySetResult();
            return ValueTask.FromException<AppendResult>(new HistoryStoreException("the test store cannot be written"));
        }

        return _inner.AppendAsync(update, cancellationToken);
    }

    public ValueTask<long?> FindPositionAsync(string id, CancellationToken cancellationToken) => _inner.FindPositionAsync(id, cancellationToken);

    public async ValueTask<IReadOnlyList<StoredUpdate>> ReadAfterAsync(long afterPosition, int maxCount, CancellationToken cancellationToken)
    {
        Task gate;
        lock (_lock)
        {
            ReadsStarted++;
            MaxReadsInFlight = Math.Max(MaxReadsInFlight, ++_inFlight);
            gate = _gate.Task;
        }

        try
        {
            await gate.WaitAsync(cancellationToken);
            return FailReads
                ? throw new HistoryStoreException("the test store is unreachable")
                : await _inner.ReadAfterAsync(afterPosition, maxCount, cancellationToken);
        }
        finally
        {
            lock (_lock)
            {
                _inFlight--;
            }
        }
    }

    public ValueTask<long> GetHeadAsync(CancellationToken cancellationToken) => _inner.GetHeadAsync(cancellationToken);

    public ValueTask<string> GetGenerationAsync(CancellationToken cancellationToken) => _inner.GetGenerationAsync(cancellationToken);

    public IAsyncEnumerable<StoredUpdate> ReadFeedAsync(CancellationToken cancellationToken) => _inner.ReadFeedAsync(cancellationToken);

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
