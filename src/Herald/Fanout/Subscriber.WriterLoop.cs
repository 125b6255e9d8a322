using System.IO.Pipelines;
using System.Threading.Tasks.Sources;
using Herald.Protocol;

namespace Herald.Fanout;

/// <summary>The subscriber's reading side: the writer loop (or a long poll's wait) and the single waiter's signal.</summary>
internal sealed partial class Subscriber
{
    /// <summary>
    /// The writer loop: drains the queue into the pipe and flushes only when the queue is empty, so a burst
    /// becomes a few large writes instead of one syscall per update.
    /// </summary>
    public Task RunAsync(PipeWriter output, CancellationToken cancellationToken) => RunAsync(output, cancellationToken, end: null);

    /// <summary>
    /// The writer loop, and with <paramref name="end"/> the stream's last steps too: once the loop ends, the encoding's
    /// trailer is written, a client that left is no error, and <paramref name="end"/> runs, whatever ended it. A
    /// stream's request then needs no state machine of its own beside this one.
    /// </summary>
    public async Task RunAsync(PipeWriter output, CancellationToken cancellationToken, IStreamEnd? end)
    {
        try
        {
            // Paired with Expire (full fences on both sides): either this sees the expiry, or Expire sees the loop running.
            Interlocked.Exchange(ref _writing, 1);
            using var cancel = cancellationToken.UnsafeRegister(static state => ((Subscriber)state!).Cancel(), this);
            var writing = true;
            while (writing && await WaitAsync().ConfigureAwait(false))
            {
                var sampled = false;
                while (TryDequeue(out var frame))
                {
                    sampled |= ReferenceEquals(frame, _sampledFrame);
                    if (ReferenceEquals(frame, SseFrame.Heartbeat))
                    {
                        Volatile.Write(ref _heartbeatPending, 0);
                    }
                    else if (frame.Position != SseFrame.NoPosition && frame.Position <= ReplayedUpTo)
                    {
                        continue;
                    }

                    if (Volatile.Read(ref _aborted) || Volatile.Read(ref _expired) != 0)
                    {
                        writing = false;
                        break;
                    }

                    Encoding.Write(output, frame);
                }

                if (!writing)
                {
                    break;
                }

                var flushing = output.FlushAsync(cancellationToken);
                if (!flushing.IsCompleted)
                {
                    // The client's socket is full: the heartbeat sweep drops the stream if this lasts (StalledWriteLimit).
                    Volatile.Write(ref _flushWaiting, 1);
                }

                var flush = await flushing.ConfigureAwait(false);
                Volatile.Write(ref _flushWaiting, 0);
                Volatile.Write(ref _lastWriteTimestamp, _time.GetTimestamp());
                if (sampled)
                {
                    Metrics?.Delivery(_time.GetElapsedTime(_sampledAt));
                    Volatile.Write(ref _sampledFrame, null);
                }

                writing = !flush.IsCompleted && !flush.IsCanceled;
            }

            if (end is not null)
            {
                // The hub ended the stream (shutdown, token expiry): a compressed one gets its trailer, so decoders that
                // check it accept the whole stream.
                Encoding.End(output);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (end is not null && e is OperationCanceledException or IOException)
        {
            // The client left, or the hub dropped it; either way the stream is over.
        }
        finally
        {
            end?.Ended(this);
        }
    }

    /// <summary>
    /// For a subscriber that is only a wake-up signal (long poll, which reads the updates themselves from the store):
    /// waits until an update frame was queued, empties the queue and returns true; false once the hub closed it.
    /// Heartbeats are dropped without waking the caller.
    /// </summary>
    public async ValueTask<bool> WaitForUpdateAsync(CancellationToken cancellationToken)
    {
        using var cancel = cancellationToken.UnsafeRegister(static state => ((Subscriber)state!).Cancel(), this);
        while (await WaitAsync().ConfigureAwait(false))
        {
            var sawUpdate = false;
            while (TryDequeue(out var frame))
            {
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
    /// Waits for a frame: true when one is queued, false once the queue is completed and empty; throws when the
    /// caller's token was cancelled. One waiter at a time (the writer loop, or a long poll).
    /// </summary>
    private ValueTask<bool> WaitAsync()
    {
        lock (this)
        {
            if (_queue.Count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_cancelled)
            {
                return ValueTask.FromException<bool>(new OperationCanceledException());
            }

            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            _signal.Reset();
            _waiting = true;
            return new ValueTask<bool>(this, _signal.Version);
        }
    }

    private bool TryDequeue(out SseFrame frame)
    {
        lock (this)
        {
            if (!_queue.TryPop(out frame))
            {
                return false;
            }

            _queuedBytes -= frame.Length;
            return true;
        }
    }

    /// <summary>The waiter's token was cancelled (the client left): a parked wait ends with the cancellation.</summary>
    private void Cancel()
    {
        bool wake;
        lock (this)
        {
            _cancelled = true;
            wake = _waiting;
            _waiting = false;
        }

        if (wake)
        {
            _signal.RunContinuationsAsynchronously = true;
            _signal.SetException(new OperationCanceledException());
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _signal.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _signal.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _signal.OnCompleted(continuation, state, token, flags);
}
