using System.Text.RegularExpressions;
using Herald.Fanout;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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

    /// <summary>
    /// The race, made deterministic: the shutdown sweep runs first, then a stream that was admitted (the host had not
    /// signalled stopping yet) registers. It must still get its <c>retry:</c> and end, not hang until the host timeout.
    /// </summary>
    [Fact]
    public async Task A_stream_registered_after_the_shutdown_sweep_still_ends_with_a_retry()
    {
        await using var hub = await TestHub.StartAsync(o => o.ShutdownReconnectSpread = TimeSpan.FromSeconds(5));
        var shutdown = hub.Services.GetServices<IHostedService>().OfType<GracefulShutdown>().Single();
        shutdown.CloseAll();

        await using var late = await hub.SubscribeAsync(["t"]);

        await late.Completion.WaitAsync(SseStream.WaitLimit);
        var retry = Regex.Match(late.RawText, @"retry: (\d+)\n\n$");
        Assert.True(retry.Success, late.RawText);
        Assert.InRange(long.Parse(retry.Groups[1].Value), 1000, 5000);
    }

    /// <summary>The same race for a long poll: registered after the sweep, it answers at once instead of waiting out its timeout.</summary>
    [Fact]
    public async Task A_long_poll_registered_after_the_shutdown_sweep_answers_at_once()
    {
        await using var hub = await TestHub.StartAsync();
        var shutdown = hub.Services.GetServices<IHostedService>().OfType<GracefulShutdown>().Single();
        shutdown.CloseAll();

        var request = new HttpRequestMessage(HttpMethod.Get, TestHub.HubPath + "/poll?topic=t&timeout=60");
        request.Headers.Authorization = new("Bearer", hub.SubscriberToken("*"));
        using var response = await hub.Client.SendAsync(request).WaitAsync(SseStream.WaitLimit);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"updates\":[]", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
