using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;
using Herald.Auth;
using Herald.Protocol;

namespace Herald.Fanout;

/// <summary>
/// One subscribed connection: a bounded queue of shared frames and the single loop that writes them. The dispatcher
/// only ever enqueues (never waits), so a slow client delays nobody; one whose queue overflows is disconnected and
/// resumes with Last-Event-ID. A subscriber whose token has an <c>exp</c> keeps its own timer: it is told
/// <see cref="SseFrame.TokenExpiringEvent"/> shortly before, and closed at <c>exp</c> exactly. The queue side is here, the
/// writer loop in Subscriber.WriterLoop.cs.
/// </summary>
internal sealed partial class Subscriber : IValueTaskSource<bool>
{
    /// <summary>
    /// 10 s: the most warning a stream gets before its token expires, enough to fetch a new token and reconnect; a
    /// token with less than twice that left at connect is told halfway through its remaining lifetime.
    /// </summary>
    public static readonly TimeSpan MaxExpiryNotice = TimeSpan.FromSeconds(10);

    /// <summary>
    /// 30 s: how long a stream may stay silent while a write waits on the client (its socket full: it stopped reading)
    /// before the hub drops it, as nginx's <c>send_timeout</c> does. Kestrel's own minimum data rate does not see a
    /// direct stream's writes, and on a quiet topic the bounded queue would never overflow. Checked by the heartbeat
    /// sweep; heartbeats keep a healthy stream's silence under <see cref="HeraldOptions.Heartbeat"/>.
    /// </summary>
    public static readonly TimeSpan StalledWriteLimit = TimeSpan.FromSeconds(30);

    // The queue and the writer's wait, guarded by this subscriber's own monitor: a dedicated lock object would cost
    // every idle stream another 40 bytes, and nothing outside this class locks on a subscriber.
    private FrameRing _queue;
    private long _queuedBytes;

    /// <summary>No frame is accepted any more (closed, dropped, expired); the writer ends once the queue is drained.</summary>
    private bool _completed;

    /// <summary>The writer's token was cancelled (the client left): its wait ends with <see cref="OperationCanceledException"/>.</summary>
    private bool _cancelled;

    /// <summary>The writer (or a long poll) is parked in <see cref="WaitAsync"/>; the next enqueue or close wakes it.</summary>
    private bool _waiting;

    /// <summary>
    /// The single waiter's completion, reused for every wait (no allocation per delivery). Its continuation never runs
    /// on the enqueuing thread: a dispatch wakes its writers a batch per thread-pool item (<see cref="WakeBatch"/>: 6–12 %
    /// less CPU per delivery than one item per writer in the same runs), everything else through the thread pool.
    /// Running every writer inline on the dispatcher's thread, as bare Kestrel does, measured much worse p99 on a busy
    /// machine: one thread doing the whole pass.
    /// </summary>
    private ManualResetValueTaskSourceCore<bool> _signal = new() { RunContinuationsAsynchronously = true };

    /// <summary>Set once the hub dropped the connection; <see cref="_onAbort"/> then runs once, off the caller's thread.</summary>
    private bool _aborted;
    private Action<object?>? _onAbort;
    private object? _onAbortState;
    private CancellationTokenSource? _disconnectedSource;

    private readonly int _maxQueueLength;
    private readonly long _maxQueueBytes;
    private readonly TimeProvider _time;

    // Delivery sampling: the countdown is the dispatcher's alone; the sampled frame is handed to the writer loop.
    private int _sampleCountdown;
    private long _sampledAt;
    private SseFrame? _sampledFrame;
    private int _heartbeatPending;

    /// <summary>Set (1) while the writer's flush waits on the client; fits beside the other flags, costing no memory.</summary>
    private int _flushWaiting;
    private int _closed;
    private long _lastWriteTimestamp;

    /// <summary>Set (1) when the token expired: nothing more is written, not even frames already queued.</summary>
    private int _expired;

    /// <summary>Set (1) once the writer loop runs: before that the stream is still replaying, which writes directly.</summary>
    private int _writing;

    /// <summary>The expiry timer, made only for a token with <c>exp</c> (most streams have none).</summary>
    private TokenExpiryTimer? _expiry;

    public Subscriber(IReadOnlyList<TopicSelector> selectors, HeraldClaims claims, int maxQueueLength, long maxQueueBytes, TimeProvider time)
    {
        Selectors = selectors;
        Claims = claims;
        _maxQueueLength = maxQueueLength;
        _maxQueueBytes = maxQueueBytes;
        _time = time;
        _lastWriteTimestamp = time.GetTimestamp();
        if (claims.Expires is { } expires)
        {
            _expiry = TokenExpiryTimer.Start(this, expires, time);
        }
    }

    public IReadOnlyList<TopicSelector> Selectors { get; }

    /// <summary>Where sampled delivery latencies go; null for subscribers that never write (long polls).</summary>
    public HeraldMetrics? Metrics { get; init; }

    /// <summary>How this stream's frames go on the wire (gzip when negotiated); the writer loop and replay share it.</summary>
    public StreamEncoding Encoding { get; init; } = StreamEncoding.Identity;

    public HeraldClaims Claims { get; }

    /// <summary>Asked for <c>reportMatches</c>: each update frame says which of <see cref="Selectors"/> it matched.</summary>
    public bool ReportsMatches { get; init; }

    /// <summary>The frame this subscriber is sent for <paramref name="stored"/>: the shared one, or a copy naming its matches.</summary>
    public SseFrame FrameFor(Storage.StoredUpdate stored) => WithMatches(stored.Frame, stored.Update);

    /// <summary><paramref name="frame"/> of <paramref name="update"/>, naming the selectors it matched when asked for.</summary>
    public SseFrame WithMatches(SseFrame frame, Update update) =>
        ReportsMatches ? SseFrame.WithMatches(frame, TopicSelector.MatchedIndices(Selectors, update.Topics)) : frame;

    /// <summary>Set when the subscriber asked for deltas (docs/deltas.md): the values it has, per retained topic.</summary>
    public Deltas.DeltaBases? Deltas { get; init; }

    /// <summary>Frames at or before this position were already sent by replay and are skipped when dequeued.</summary>
    public long ReplayedUpTo { get; set; }

    /// <summary>Dispatch sequence this subscriber was last collected for; dedupes an update matching several selectors.</summary>
    internal long LastDispatchSequence { get; set; }

    /// <summary>
    /// Cancelled when the hub drops the connection (overflow, a token that expired during replay). Made on first use:
    /// a stream uses <see cref="OnAbort"/> instead, which costs no token source per stream.
    /// </summary>
    public CancellationToken Disconnected
    {
        get
        {
            lock (this)
            {
                if (_disconnectedSource is null)
                {
                    _disconnectedSource = new CancellationTokenSource();
                    if (_aborted)
                    {
                        _disconnectedSource.Cancel();
                    }
                }

                return _disconnectedSource.Token;
            }
        }
    }

    /// <summary>Why the hub closed the stream, for logs; null while open.</summary>
    public string? CloseReason { get; private set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The writer's flush is waiting on the client (its socket is full).</summary>
    internal bool IsWriteWaiting => Volatile.Read(ref _flushWaiting) != 0;

    /// <summary>
    /// Runs <paramref name="callback"/> once, on the thread pool, when the hub drops the connection (at once if it already
    /// did); null stops it (the stream ended on its own). Once this returns with null, the callback is not running and
    /// never will: a request's context is still valid whenever it runs.
    /// </summary>
    public void OnAbort(Action<object?>? callback, object? state)
    {
        bool run;
        lock (this)
        {
            _onAbort = callback;
            _onAbortState = state;
            run = _aborted && callback is not null;
        }

        if (run)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static subscriber => subscriber.RunAbortCallback(), this, preferLocal: false);
        }
    }

    /// <summary>
    /// Queues a frame without waiting; a subscriber whose queue overflows is disconnected by this call, which then
    /// answers <see cref="EnqueueResult.Overflowed"/> (only the call that closed it does, so a drop is counted once).
    /// </summary>
    public EnqueueResult TryEnqueue(SseFrame frame) => TryEnqueue(frame, wakes: null);

    /// <summary>
    /// <see cref="TryEnqueue(SseFrame)"/>, but a parked writer is added to <paramref name="wakes"/> instead of being woken
    /// here: the dispatcher wakes a whole fan-out's writers a batch per thread-pool item (<see cref="WakeBatch"/>).
    /// </summary>
    public EnqueueResult TryEnqueue(SseFrame frame, WakeBatch? wakes)
    {
        if (IsClosed)
        {
            return EnqueueResult.Closed;
        }

        bool wake;
        int count;
        long bytes;
        lock (this)
        {
            if (_completed)
            {
                return EnqueueResult.Closed;
            }

            count = _queue.Count + 1;
            bytes = _queuedBytes + frame.Length;
            wake = count <= _maxQueueLength && bytes <= _maxQueueBytes;
            if (wake)
            {
                _queue.Push(frame);
                _queuedBytes = bytes;
                wake = _waiting;
                _waiting = false;
            }
            else
            {
                count = -count;
            }
        }

        if (count < 0)
        {
            // Another thread may have closed it since the check above: then this is no drop of ours to report.
            return Disconnect($"queue overflow ({-count} updates, {bytes} bytes queued): the client reads too slowly")
                ? EnqueueResult.Overflowed
                : EnqueueResult.Closed;
        }

        // One update in DeliverySampleRate is timed from here to its flush; the others cost one increment. Marked before
        // the writer is woken, so the writer cannot flush the frame before it is marked (which left it marked for good).
        if (Metrics is not null && frame.Position != SseFrame.NoPosition && ++_sampleCountdown >= HeraldMetrics.DeliverySampleRate
            && Volatile.Read(ref _sampledFrame) is null)
        {
            _sampleCountdown = 0;
            _sampledAt = _time.GetTimestamp();
            Volatile.Write(ref _sampledFrame, frame);
        }

        if (wake)
        {
            if (wakes is not null)
            {
                wakes.Add(this);
            }
            else
            {
                _signal.RunContinuationsAsynchronously = true;
                _signal.SetResult(true);
            }
        }

        return EnqueueResult.Queued;
    }

    /// <summary>
    /// Wakes the writer that <see cref="TryEnqueue(SseFrame, WakeBatch?)"/> left parked, on this thread: it writes and
    /// flushes until it parks again (or its flush must wait), then this returns.
    /// </summary>
    internal void WakeInline()
    {
        _signal.RunContinuationsAsynchronously = false;
        _signal.SetResult(true);
    }

    /// <summary>
    /// Queues a heartbeat when the stream has been silent for <paramref name="silence"/> and none is pending; drops it
    /// when it has been silent for <see cref="StalledWriteLimit"/> with a write waiting on the client all along.
    /// </summary>
    public void HeartbeatIfSilentFor(TimeSpan silence)
    {
        var silent = _time.GetElapsedTime(Volatile.Read(ref _lastWriteTimestamp));
        if (silent < silence)
        {
            return;
        }

        if (silent >= StalledWriteLimit && Volatile.Read(ref _flushWaiting) != 0)
        {
            if (Disconnect(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the client read nothing for {silent.TotalSeconds:0} s: a write waited on it all along")))
            {
                Metrics?.Dropped(HeraldMetrics.DropReason.Stalled);
            }

            return;
        }

        // Silent: whatever a past burst grew, the stream holds no longer.
        lock (this)
        {
            _queue.TrimIfEmpty();
        }

        if (Interlocked.Exchange(ref _heartbeatPending, 1) == 0 && TryEnqueue(SseFrame.Heartbeat) != EnqueueResult.Queued)
        {
            Volatile.Write(ref _heartbeatPending, 0);
        }
    }

    /// <summary>Ends the stream gracefully: queued frames, then <paramref name="last"/>, are written before it closes.</summary>
    public void Close(SseFrame? last, string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        CloseReason = reason;
        Complete(last);
        StopExpiryTimer();
    }

    /// <summary>
    /// Drops the connection at once, without draining: the client is gone or too slow. True when this call closed the
    /// subscriber; false when it was already closed (then <see cref="CloseReason"/> is the earlier reason).
    /// </summary>
    public bool Disconnect(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        CloseReason = reason;
        Abort();
        Complete(null);
        StopExpiryTimer();
        return true;
    }

    /// <summary>
    /// Closes the stream at the token's <c>exp</c>: nothing more is written, not even frames already queued (dispatched
    /// while the token was valid, they would reach the client after it expired; its cursor did not move past them, so
    /// resuming with a new token delivers them). A stream still replaying is dropped, since replay writes directly.
    /// </summary>
    internal void Expire(DateTimeOffset expires)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        CloseReason = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the subscriber's token expired at {expires.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}");
        Metrics?.Dropped(HeraldMetrics.DropReason.TokenExpired);
        Interlocked.Exchange(ref _expired, 1);
        if (Volatile.Read(ref _writing) == 0)
        {
            Abort();
        }

        Complete(null);
        StopExpiryTimer();
    }

    private void StopExpiryTimer() => Volatile.Read(ref _expiry)?.Stop();

    /// <summary>Cancelling runs the connection's abort callback; keep that off the caller's thread (the dispatcher, a timer).</summary>
    private void Abort()
    {
        bool callback;
        CancellationTokenSource? source;
        lock (this)
        {
            _aborted = true;
            (callback, source) = (_onAbort is not null, _disconnectedSource);
        }

        if (callback)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static subscriber => subscriber.RunAbortCallback(), this, preferLocal: false);
        }

        if (source is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static cts => cts.Cancel(), source, preferLocal: false);
        }
    }

    /// <summary>
    /// Runs the abort callback if it is still set, under this subscriber's lock: the stream's end clears it under the
    /// same lock (<see cref="OnAbort"/> with null), so the callback never runs against a request that already ended
    /// (its context disposed, or reused by the connection's next request). The callback only aborts the connection,
    /// which never waits on another thread holding this lock; with inline scheduling it may end the stream on this very
    /// thread, which re-enters the lock. Nothing takes a subscriber's lock while holding another lock the end takes
    /// (the index copies its subscribers out before closing them).
    /// </summary>
    private void RunAbortCallback()
    {
        lock (this)
        {
            if (_onAbort is { } callback)
            {
                var state = _onAbortState;
                _onAbort = null;
                _onAbortState = null;
                callback(state);
            }
        }
    }

    /// <summary>No frame is accepted any more; <paramref name="last"/>, if any, goes after those queued (past the bounds).</summary>
    private void Complete(SseFrame? last)
    {
        bool wake;
        lock (this)
        {
            if (last is not null && !_completed)
            {
                _queue.Push(last);
            }

            _completed = true;
            wake = _waiting;
            _waiting = false;
        }

        if (wake)
        {
            _signal.RunContinuationsAsynchronously = true;
            _signal.SetResult(true);
        }
    }
}

/// <summary>What a stream does once its writer loop has ended (see <see cref="Subscriber.RunAsync(PipeWriter, CancellationToken, IStreamEnd?)"/>).</summary>
internal interface IStreamEnd
{
    void Ended(Subscriber subscriber);
}

internal enum EnqueueResult
{
    Queued,
    Closed,
    Overflowed,
}
