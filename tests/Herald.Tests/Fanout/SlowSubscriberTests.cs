using System.Net.Sockets;
using System.Text;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Fanout;

public class SlowSubscriberTests
{
    [Fact]
    public async Task A_subscriber_that_stops_reading_is_disconnected_while_others_receive_everything()
    {
        const int updates = 400;
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.SubscriberQueueLength = 64;
            o.SubscriberQueueBytes = 2 * 1024 * 1024;
            o.MaxRequestBodySize = 1024 * 1024;
        });
        await using var healthy = await hub.SubscribeAsync(["t"]);

        // A raw socket with a small receive buffer that never reads after the headers: the hub's writes back up.
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync(hub.BaseAddress.Host, hub.BaseAddress.Port);
        var request = $"GET {TestHub.HubPath}?topic=t HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\nAuthorization: Bearer {hub.SubscriberToken()}\r\n\r\n";
        await stalled.SendAsync(Encoding.ASCII.GetBytes(request));
        var head = new byte[512];
        var headLength = await stalled.ReceiveAsync(head);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(head, 0, headLength));

        var payload = new string('x', 32 * 1024);
        for (var i = 0; i < updates; i++)
        {
            await hub.PublishAsync("t", $"{i}:{payload}");
        }

        var received = await healthy.ReadUntilDataAsync($"{updates - 1}:{payload}");
        Assert.Equal(updates, received.Count);

        // The hub dropped the stalled stream: draining it ends (EOF or reset) long before all 400 updates' bytes.
        var drained = 0L;
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await stalled.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(SseStream.WaitLimit)) > 0)
            {
                drained += read;
            }
        }
        catch (SocketException)
        {
        }

        Assert.True(drained < updates * payload.Length, $"stalled client drained {drained} bytes: it was not disconnected");
    }
}
