using System.Text.RegularExpressions;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Fanout;

public class ShutdownTests
{
    [Fact]
    public async Task Stopping_the_hub_ends_every_stream_with_a_randomized_retry()
    {
        var hub = await TestHub.StartAsync(o => o.ShutdownReconnectSpread = TimeSpan.FromSeconds(5));
        await using var one = await hub.SubscribeAsync(["t"]);
        await using var two = await hub.SubscribeAsync(["t"]);
        await one.WaitForRawAsync(":\n\n");
        await two.WaitForRawAsync(":\n\n");

        var stopping = hub.DisposeAsync().AsTask();

        await one.Completion.WaitAsync(SseStream.WaitLimit);
        await two.Completion.WaitAsync(SseStream.WaitLimit);
        await stopping.WaitAsync(SseStream.WaitLimit);
        foreach (var stream in new[] { one, two })
        {
            var retry = Regex.Match(stream.RawText, @"retry: (\d+)\n\n");
            Assert.True(retry.Success, stream.RawText);
            Assert.InRange(long.Parse(retry.Groups[1].Value), 1000, 5000);
        }
    }
}
