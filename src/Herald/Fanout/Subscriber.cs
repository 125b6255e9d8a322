using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Herald.Auth;
using Herald.Protocol;

namespace Herald.Fanout;

/// <summary>
/// One subscribed connection: a bounded queue of shared frames and the single loop that writes them. The dispatcher
/// only ever enqueues (never waits), so a slow client delays nobody; one whose queue overflows is disconnected and
/// resumes with Last-Event-ID. A subscriber whose token has an <c>exp</c> keeps its own timer: it is told
/// <see cref="SseFrame.TokenExpiringEvent"/> shortly before, and closed at <c>exp</c> exactly.
/// </summary>
internal sealed class Subscriber
{
    /// <summary>
    /// 10 s: the most warning a stream gets before its token expires, enough to fetch a new token and reconnect; a
    /// token with less than twice that left at connect is told halfway through its remaining lifetime.
    /// </summary>
    public static readonly TimeSpan MaxExpiryNotice = TimeSpan.FromSeconds(10);

    /// <summary>30 days: under the ~49.7 days a timer can wait at most; a token valid longer is waited for in legs.</summary>
    private static readonly TimeSpan MaxTimerLeg = TimeSpan.FromDays(30);

    private readonly Channel<SseFrame> _queue = Channel.CreateUnbounded<SseFrame>(new UnboundedChannelOptions
    {
        SingleReader = true,
        AllowSynchronousContinuations = false,
    });

    private readonly CancellationTokenSource _disconnected = new();
    private readonly int _maxQueueLength;
    private readonly long _maxQueueBytes;
    private readonly TimeProvider _time;

    // Delivery sampling: the countdown is the dispatcher's alone; the sampled frame is handed to the writer loop.
    private int _sampleCountdown;
    private long _sampledAt;
    private SseFrame? _sampledFrame;
    private readonly Lock _expiryLock = new();
    private int _queuedCount;
    private long _queuedBytes;
    private int _heartbeatPending;
    private int _closed;
    private long _lastWriteTimestamp;

    /// <summary>Set (1) when the token expired: nothing more is written, not even frames already queued.</summary>
    private int _expired;

    /// <summary>Set (1) once the writer loop runs: before that the stream is still replaying, which writes directly.</summary>
    private int _writing;

    /// <summary>The expiry timer: fires once for the notice, once more at <c>exp</c>; null for tokens without <c>exp</c>.</summary>
    private ITimer? _expiry;
    private DateTimeOffset _noticeAt;
    private bool _noticeSent;

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
            StartExpiryTimer(expires);
        }
    }

    public IReadOnlyList<TopicSelector> Selectors { get; }

    /// <summary>Where sampled delivery latencies go; null for subscribers that never write (long polls).</summary>
    public HeraldMetrics? Metrics { get; init; }

    /// <summary>How this stream's frames go on the wire (gzip when negotiated); the writer loop and replay share it.</summary>
    public StreamEncoding Encoding { get; init; } = StreamEncoding.Identity;

    public HeraldClaims Claims { get; }

    /// <summary>Frames at or before this position were already sent by replay and are skipped when dequeued.</summary>
    public long ReplayedUpTo { get; set; }

    /// <summary>Dispatch sequence this subscriber was last collected for; dedupes an update matching several selectors.</summary>
    internal long LastDispatchSequence { get; set; }

    /// <summary>Cancelled when the hub drops the connection (overflow, a token that expired during replay).</summary>
    public CancellationToken Disconnected => _disconnected.Token;

    /// <summary>Why the hub closed the stream, for logs; null while open.</summary>
    public string? CloseReason { get; private set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Queues a frame without waiting; a subscriber whose queue overflows is disconnected by this call, which then
    /// answers <see cref="EnqueueResult.Overflowed"/> (only the call that closed it does, so a drop is counted once).
    /// </summary>
    public EnqueueResult TryEnqueue(SseFrame frame)
    {
        if (IsClosed)
        {
            return EnqueueResult.Closed;
        }

        var count = Interlocked.Increment(ref _queuedCount);
        var bytes = Interlocked.Add(ref _queuedBytes, frame.Length);
        if (count > _maxQueueLength || bytes > _maxQueueBytes)
        {
            // Another thread may have closed it since the check above: then this is no drop of ours to report.
            return Disconnect($"queue overflow ({count} updates, {bytes} bytes queued): the client reads too slowly")
                ? EnqueueResult.Overflowed
                : EnqueueResult.Closed;
        }

        if (!_queue.Writer.TryWrite(frame))
        {
            return EnqueueResult.Closed;
        }

        // One update in DeliverySampleRate is timed from here to its flush; the others cost one increment.
        if (Metrics is not null && frame.Position != SseFrame.NoPosition && ++_sampleCountdown >= HeraldMetrics.DeliverySampleRate
            && Volatile.Read(ref _sampledFrame) is null)
        {
            _sampleCountdown = 0;
            _sampledAt = _time.GetTimestamp();
            Volatile.Write(ref _sampledFrame, frame);
        }

        return EnqueueResult.Queued;
    }

    /// <summary>Queues a heartbeat when the stream has been silent for <paramref name="silence"/> and none is pending.</summary>
    public void HeartbeatIfSilentFor(TimeSpan silence)
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _lastWriteTimestamp)) >= silence
            && Interlocked.Exchange(ref _heartbeatPending, 1) == 0
            && TryEnqueue(SseFrame.Heartbeat) != EnqueueResult.Queued)
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
        if (last is not null)
        {
            _queue.Writer.TryWrite(last);
        }

        _queue.Writer.TryComplete();
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
        _queue.Writer.TryComplete();
        StopExpiryTimer();
        Abort();
        return true;
    }

    /// <summary>
    /// The writer loop: drains the queue into the pipe and flushes only when the queue is empty, so a burst
    /// becomes a few large writes instead of one syscall per update.
    /// </summary>
    public async Task RunAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        // Paired with Expire (full fences on both sides): either this sees the expiry, or Expire sees the loop running.
        Interlocked.Exchange(ref _writing, 1);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var sampled = false;
            while (reader.TryRead(out var frame))
            {
                Interlocked.Decrement(ref _queuedCount);
                Interlocked.Add(ref _queuedBytes, -frame.Length);
                sampled |= ReferenceEquals(frame, _sampledFrame);
                if (ReferenceEquals(frame, SseFrame.Heartbeat))
                {
                    Volatile.Write(ref _heartbeatPending, 0);
                }
                else if (frame.Position != SseFrame.NoPosition && frame.Position <= ReplayedUpTo)
                {
                    continue;
                }

                if (_disconnected.IsCancellationRequested || Volatile.Read(ref _expired) != 0)
                {
                    return;
                }

                Encoding.Write(output, frame);
            }

            var flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastWriteTimestamp, _time.GetTimestamp());
            if (sampled)
            {
                Metrics?.Delivery(_time.GetElapsedTime(_sampledAt));
                Volatile.Write(ref _sampledFrame, null);
            }
            if (flush.IsCompleted || flush.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary>
    /// For a subscriber that is only a wake-up signal (long poll, which reads the updates themselves from the store):
    /// waits until an update frame was queued, empties the queue and returns true; false once the hub closed it.
    /// Heartbeats are dropped without waking the caller.
    /// </summary>
    public async ValueTask<bool> WaitForUpdateAsync(CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var sawUpdate = false;
            while (reader.TryRead(out var frame))
            {
                Interlocked.Decrement(ref _queuedCount);
                Interlocked.Add(ref _queuedBytes, -frame.Length);
                if (ReferenceEquals(frame, SseFrame.Heartbeat))
                {
                    Volatile.Write(ref _heartbeatPending, 0);
                    MarkWritten();
                }
                else if (frame.Position != SseFrame.NoPosition)
                {
                    sawUpdate = true;
                }
            }

            if (sawUpdate)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Marks a direct write (headers, replay) so heartbeats count from it.</summary>
    public void MarkWritten() => Volatile.Write(ref _lastWriteTimestamp, _time.GetTimestamp());

    /// <summary>
    /// Arms the timer for the notice, due min(<see cref="MaxExpiryNotice"/>, half the time left) before
    /// <paramref name="expires"/>. Created disarmed and then set, so the callback never runs before the field is.
    /// </summary>
    private void StartExpiryTimer(DateTimeOffset expires)
    {
        var left = expires - _time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            Expire(expires);
            return;
        }

        var notice = left / 2 < MaxExpiryNotice ? left / 2 : MaxExpiryNotice;
        _noticeAt = expires - notice;
        lock (_expiryLock)
        {
            _expiry = _time.CreateTimer(static state => ((Subscriber)state!).OnExpiryTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            Arm(left - notice);
        }
    }

    /// <summary>
    /// The notice when it is due (then re-armed for <c>exp</c>), the close at <c>exp</c>, or, for a token valid longer
    /// than a timer can wait, just the next leg of the wait.
    /// </summary>
    private void OnExpiryTimer()
    {
        var expires = Claims.Expires!.Value;
        var now = _time.GetUtcNow();
        if (now >= expires)
        {
            Expire(expires);
            return;
        }

        bool notify;
        lock (_expiryLock)
        {
            if (_expiry is null)
            {
                return;
            }

            notify = !_noticeSent && now >= _noticeAt;
            _noticeSent |= notify;
            Arm(_noticeSent ? expires - now : _noticeAt - now);
        }

        // Outside the lock: an enqueue that overflows disconnects, which stops this timer.
        if (notify)
        {
            TryEnqueue(SseFrame.TokenExpiring(expires, expires - now));
        }
    }

    /// <summary>Sets the timer, in legs of at most <see cref="MaxTimerLeg"/> (timers wait at most about 49 days).</summary>
    private void Arm(TimeSpan due) => _expiry!.Change(due < MaxTimerLeg ? due : MaxTimerLeg, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Closes the stream at the token's <c>exp</c>: nothing more is written, not even frames already queued (dispatched
    /// while the token was valid, they would reach the client after it expired; its cursor did not move past them, so
    /// resuming with a new token delivers them). A stream still replaying is dropped, since replay writes directly.
    /// </summary>
    private void Expire(DateTimeOffset expires)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        CloseReason = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the subscriber's token expired at {expires.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}");
        Metrics?.Dropped(HeraldMetrics.DropReason.TokenExpired);
        Interlocked.Exchange(ref _expired, 1);
        _queue.Writer.TryComplete();
        StopExpiryTimer();
        if (Volatile.Read(ref _writing) == 0)
        {
            Abort();
        }
    }

    private void StopExpiryTimer()
    {
        lock (_expiryLock)
        {
            _expiry?.Dispose();
            _expiry = null;
        }
    }

    /// <summary>Cancelling runs the connection's abort callback; keep that off the caller's thread (the dispatcher, a timer).</summary>
    private void Abort() =>
        ThreadPool.UnsafeQueueUserWorkItem(static cts => cts.Cancel(), _disconnected, preferLocal: false);
}

internal enum EnqueueResult
{
    Queued,
    Closed,
    Overflowed,
}
