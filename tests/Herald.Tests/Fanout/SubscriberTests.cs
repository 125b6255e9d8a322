using System.Runtime.CompilerServices;
using System.IO.Pipelines;
using System.Text;
using Herald.Auth;
using Herald.Fanout;
using Herald.Protocol;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Fanout;

/// <summary>The subscriber queue on its own: enqueue results, close and disconnect, and the writer loop.</summary>
public class SubscriberTests
{
    private static readonly TopicSelectorStore Selectors = new();

    [Fact]
    public void An_enqueue_past_the_length_bound_overflows_and_disconnects_with_a_reason()
    {
        var subscriber = NewSubscriber(maxQueueLength: 1);

        Assert.Equal(EnqueueResult.Queued, subscriber.TryEnqueue(Frame(1)));
        Assert.Equal(EnqueueResult.Overflowed, subscriber.TryEnqueue(Frame(2)));

        Assert.True(subscriber.IsClosed);
        Assert.True(subscriber.Disconnected.IsCancellationRequested || WaitForCancellation(subscriber.Disconnected));
        Assert.StartsWith("queue overflow", subscriber.CloseReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_abort_callback_never_runs_once_the_stream_cleared_it_even_when_a_drop_raced_the_end()
    {
        // A drop queues the callback to the thread pool while the stream may be ending on its own (its writer saw the
        // drop first). Once the end has cleared the callback, running it would abort a request that is over: its
        // context disposed (which threw on the thread pool and ended the process) or reused by the next request.
        var late = 0;
        for (var i = 0; i < 5000; i++)
        {
            var subscriber = NewSubscriber();
            var ended = new StrongBox<bool>();
            subscriber.OnAbort(state =>
            {
                if (((StrongBox<bool>)state!).Value)
                {
                    Interlocked.Increment(ref late);
                }
            }, ended);

            subscriber.Disconnect("test drop");
            subscriber.OnAbort(null, null);
            ended.Value = true;
        }

        // Let queued callbacks run (or be skipped): a thread-pool round trip per core, twice.
        for (var i = 0; i < 2 * Environment.ProcessorCount; i++)
        {
            await Task.Run(() => { });
        }

        Assert.Equal(0, Volatile.Read(ref late));
    }

    [Fact]
    public void An_enqueue_past_the_byte_bound_overflows()
    {
        var subscriber = NewSubscriber(maxQueueBytes: 10);

        Assert.Equal(EnqueueResult.Overflowed, subscriber.TryEnqueue(Frame(1, new string('x', 20))));
        Assert.StartsWith("queue overflow", subscriber.CloseReason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_enqueue_after_a_close_or_disconnect_reports_closed_not_an_overflow()
    {
        var closed = NewSubscriber(maxQueueLength: 0);
        closed.Close(null, "closed first");
        Assert.Equal(EnqueueResult.Closed, closed.TryEnqueue(Frame(1)));
        Assert.Equal("closed first", closed.CloseReason);

        var disconnected = NewSubscriber(maxQueueLength: 0);
        disconnected.Disconnect("gone");
        Assert.Equal(EnqueueResult.Closed, disconnected.TryEnqueue(Frame(1)));
        Assert.Equal("gone", disconnected.CloseReason);
    }

    [Fact]
    public void Disconnect_tells_whether_this_call_closed_the_subscriber()
    {
        var subscriber = NewSubscriber();
        Assert.True(subscriber.Disconnect("first"));
        Assert.False(subscriber.Disconnect("second"));
        Assert.Equal("first", subscriber.CloseReason);

        var closed = NewSubscriber();
        closed.Close(null, "graceful");
        Assert.False(closed.Disconnect("late"));
        Assert.Equal("graceful", closed.CloseReason);
    }

    /// <summary>
    /// The bug: an enqueue that found the subscriber open, then lost the close to another thread, still answered
    /// <see cref="EnqueueResult.Overflowed"/>, so the dispatcher counted a drop and logged it with a null reason. Two
    /// threads sweep the same subscribers from opposite ends, every enqueue overflowing, so they meet on one subscriber
    /// each round; an overflow must only ever be reported by the call that closed it.
    /// </summary>
    [Fact]
    public async Task An_enqueue_that_loses_the_close_to_another_thread_is_not_an_overflow()
    {
        const int rounds = 300;
        const int width = 400;
        var wrong = 0;
        var overflows = 0;
        using var start = new Barrier(2);
        var subscribers = new Subscriber[width];
        var results = new EnqueueResult[width];
        var reasons = new string?[width];
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < width; i++)
            {
                subscribers[i] = NewSubscriber(maxQueueLength: 0);
            }

            var closer = Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    for (var i = width - 1; i >= 0; i--)
                    {
                        subscribers[i].Close(null, "closed by another thread");
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            start.SignalAndWait();
            for (var i = 0; i < width; i++)
            {
                results[i] = subscribers[i].TryEnqueue(Frame(i));
                reasons[i] = subscribers[i].CloseReason;
            }

            await closer;
            for (var i = 0; i < width; i++)
            {
                if (results[i] == EnqueueResult.Overflowed)
                {
                    overflows++;
                    if (reasons[i] is null || !reasons[i]!.StartsWith("queue overflow", StringComparison.Ordinal))
                    {
                        wrong++;
                    }
                }
            }
        }

        Assert.True(overflows > 0, "the enqueuing thread never won a subscriber: the test exercised nothing");
        Assert.Equal(0, wrong);
    }

    [Fact]
    public async Task Close_writes_the_queued_frames_then_the_last_frame_and_ends_the_writer()
    {
        var subscriber = NewSubscriber();
        subscriber.TryEnqueue(Frame(1, "one"));
        subscriber.Close(SseFrame.RetryHint(1234), "closing");

        var written = await RunToEndAsync(subscriber);

        Assert.Equal("id: 1\ndata: one\n\nretry: 1234\n\n", written);
    }

    [Fact]
    public async Task The_writer_skips_frames_the_replay_already_sent()
    {
        var subscriber = NewSubscriber();
        subscriber.ReplayedUpTo = 2;
        subscriber.TryEnqueue(Frame(2, "replayed"));
        subscriber.TryEnqueue(Frame(3, "live"));
        subscriber.Close(null, "done");

        Assert.Equal("id: 3\ndata: live\n\n", await RunToEndAsync(subscriber));
    }

    [Fact]
    public async Task WaitForUpdate_ignores_frames_without_a_position_and_returns_false_once_closed()
    {
        var subscriber = NewSubscriber();
        subscriber.TryEnqueue(SseFrame.Heartbeat);
        subscriber.TryEnqueue(SseFrame.Comment("not an update"));
        var waiting = subscriber.WaitForUpdateAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        subscriber.TryEnqueue(Frame(1));
        Assert.True(await waiting.WaitAsync(SseStream.WaitLimit));

        subscriber.Close(null, "closed");
        Assert.False(await subscriber.WaitForUpdateAsync(CancellationToken.None).AsTask().WaitAsync(SseStream.WaitLimit));
    }

    internal static Subscriber NewSubscriber(int maxQueueLength = 100, long maxQueueBytes = 1 << 20, HeraldClaims? claims = null, TimeProvider? time = null) =>
        new([Selectors.Get("*")], claims ?? HeraldClaims.Anonymous, maxQueueLength, maxQueueBytes, time ?? new FakeTimeProvider());

    internal static SseFrame Frame(long position, string data = "x") =>
        SseFrame.ForUpdate(position, new Update { Topics = ["t"], Data = data, Id = position.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>Runs the writer loop into a pipe until it returns; what it wrote, as text.</summary>
    internal static async Task<string> RunToEndAsync(Subscriber subscriber)
    {
        var pipe = new Pipe();
        await subscriber.RunAsync(pipe.Writer, CancellationToken.None).WaitAsync(SseStream.WaitLimit);
        await pipe.Writer.CompleteAsync();
        var result = await pipe.Reader.ReadAsync();
        var text = Encoding.UTF8.GetString(result.Buffer);
        pipe.Reader.AdvanceTo(result.Buffer.End);
        return text;
    }

    private static bool WaitForCancellation(CancellationToken token)
    {
        using var signal = new ManualResetEventSlim();
        using var registration = token.Register(signal.Set);
        return signal.Wait(SseStream.WaitLimit);
    }
}
