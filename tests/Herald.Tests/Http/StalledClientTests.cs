using System.Net.Sockets;
using System.Text;
using Herald.Fanout;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Http;

/// <summary>
/// A client that stops reading is dropped once its writes have waited on it for <see cref="Subscriber.StalledWriteLimit"/>,
/// even on a quiet topic where its queue never overflows; one that reads is never dropped for being quiet.
/// </summary>
public sealed class StalledClientTests
{
    private const string Topic = "https://example.com/books/1";

    /// <summary>The reading stream's topic: quiet, so on fake time its writes never wait (a time jump would make any wait look long).</summary>
    private const string QuietTopic = "https://example.com/books/2";

    [Fact]
    public async Task A_stream_whose_client_stopped_reading_is_dropped_after_the_limit_and_a_reading_one_stays()
    {
        // Queue bounds far above what is sent: only the stalled write can end the stream.
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.SubscriberQueueLength = 100_000;
            o.SubscriberQueueBytes = 1L << 30;
        }, fakeTime: true);
        await using var reader = await hub.SubscribeAsync([QuietTopic]);
        var index = hub.Services.GetRequiredService<SubscriberIndex>();
        var readingSubscriber = Assert.Single(Streams(index));

        using var stalled = new TcpClient { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync(hub.BaseAddress.Host, hub.BaseAddress.Port);
        var request = $"GET {TestHub.HubPath}?topic={Uri.EscapeDataString(Topic)} HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\nAuthorization: Bearer {hub.SubscriberToken("*")}\r\n\r\n";
        await stalled.GetStream().WriteAsync(Encoding.ASCII.GetBytes(request));
        await hub.WaitForStreamsAsync(2);
        var stalledSubscriber = Streams(index).Single(s => s != readingSubscriber);
        await WaitForAsync(() => stalledSubscriber.IsWriteWaiting ? "waiting" : null, () => PublishAsync(hub));

        // Still within the limit: nothing is dropped.
        hub.Time!.Advance(Subscriber.StalledWriteLimit / 2);
        Assert.False(stalledSubscriber.IsClosed);

        hub.Time.Advance(Subscriber.StalledWriteLimit);
        await WaitForAsync(() => index.Count == 1 ? "dropped" : null, () => Task.CompletedTask);
        Assert.True(stalledSubscriber.IsClosed);
        Assert.StartsWith("the client read nothing for", stalledSubscriber.CloseReason);
        Assert.False(readingSubscriber.IsClosed);

        // The quiet reading stream lived through the same time (heartbeats) and still receives.
        var after = await hub.PublishAsync(QuietTopic, "after");
        string? seen = null;
        while (seen != after)
        {
            seen = (await reader.NextAsync()).EventId;
        }
    }

    private static List<Subscriber> Streams(SubscriberIndex index)
    {
        var all = new List<Subscriber>();
        index.Snapshot(all);
        return all;
    }

    /// <summary>Publishes 256 KiB updates until the stalled stream's write waits on its full socket.</summary>
    private static async Task PublishAsync(TestHub hub) => await hub.PublishAsync(Topic, new string('x', 256 * 1024));

    private static async Task<T> WaitForAsync<T>(Func<T?> condition, Func<Task> step)
        where T : class
    {
        using var limit = new CancellationTokenSource(SseStream.WaitLimit * 3);
        while (true)
        {
            if (condition() is { } found)
            {
                return found;
            }

            limit.Token.ThrowIfCancellationRequested();
            await step();

            // Real-time yield while the hub's writes catch up; the hub exposes no event for a full socket.
            await Task.Delay(5, limit.Token);
        }
    }
}
