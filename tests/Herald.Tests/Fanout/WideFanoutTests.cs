using Herald.Tests.Infrastructure;

namespace Herald.Tests.Fanout;

/// <summary>
/// A dispatch wakes its writers a batch at a time (128 per thread-pool item): a fan-out of several full batches and a
/// partial one reaches every stream, each update once and in order, including a stream stalled mid-batch by its peers.
/// </summary>
public class WideFanoutTests
{
    [Fact]
    public async Task Every_stream_of_a_fanout_wider_than_a_batch_gets_every_update_once_in_order()
    {
        const int streams = 300;
        const int updates = 5;
        await using var hub = await TestHub.StartAsync();
        var subscribers = new List<SseStream>();
        try
        {
            for (var i = 0; i < streams; i++)
            {
                subscribers.Add(await hub.SubscribeAsync(["wide"]));
            }

            for (var i = 0; i < updates; i++)
            {
                await hub.PublishAsync("wide", $"update-{i}");
            }

            var received = await Task.WhenAll(subscribers.Select(s => s.ReadUntilDataAsync($"update-{updates - 1}")));
            Assert.All(received, events => Assert.Equal(Enumerable.Range(0, updates).Select(i => $"update-{i}"), events.Select(e => e.Data)));
        }
        finally
        {
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }
        }
    }
}
