using Herald.Tests.Infrastructure;

namespace Herald.Tests.Fanout;

public class HeartbeatAndExpiryTests
{
    [Fact]
    public async Task A_silent_stream_gets_a_heartbeat_within_the_interval()
    {
        await using var hub = await TestHub.StartAsync(o => o.Heartbeat = TimeSpan.FromSeconds(15), fakeTime: true);
        await using var stream = await hub.SubscribeAsync(["t"]);
        await stream.WaitForRawAsync(":\n\n");

        // One interval of fake time; the shared timer ticks at a fraction of it, so the comment is due by then.
        hub.Time!.Advance(TimeSpan.FromSeconds(15));

        await stream.WaitForRawAsync(":\n\n:\n\n");
    }

    [Fact]
    public async Task Heartbeats_keep_coming_while_the_stream_stays_silent()
    {
        await using var hub = await TestHub.StartAsync(o => o.Heartbeat = TimeSpan.FromSeconds(10), fakeTime: true);
        await using var stream = await hub.SubscribeAsync(["t"]);
        await stream.WaitForRawAsync(":\n\n");

        var expected = ":\n\n";
        for (var i = 0; i < 3; i++)
        {
            hub.Time!.Advance(TimeSpan.FromSeconds(10));
            expected += ":\n\n";
            await stream.WaitForRawAsync(expected);
        }
    }

    [Fact]
    public async Task A_subscriber_is_disconnected_when_its_token_expires()
    {
        await using var hub = await TestHub.StartAsync(o => o.ClockSkew = TimeSpan.Zero, fakeTime: true);
        var token = Tokens.Create(TestHub.Key, subscribe: ["*"], expires: hub.Time!.GetUtcNow().AddMinutes(1));
        await using var stream = await hub.SubscribeAsync(["t"], token);
        await hub.PublishAsync("t", "before expiry");
        Assert.Equal("before expiry", (await stream.NextAsync()).Data);

        hub.Time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(5));

        await stream.Completion.WaitAsync(SseStream.WaitLimit);
    }

    [Fact]
    public async Task A_subscriber_with_a_valid_token_is_not_disconnected_by_time()
    {
        await using var hub = await TestHub.StartAsync(o => o.ClockSkew = TimeSpan.Zero, fakeTime: true);
        var token = Tokens.Create(TestHub.Key, subscribe: ["*"], expires: hub.Time!.GetUtcNow().AddHours(1));
        await using var stream = await hub.SubscribeAsync(["t"], token);

        hub.Time.Advance(TimeSpan.FromMinutes(59));
        await hub.PublishAsync("t", "still here");

        Assert.Equal("still here", (await stream.NextAsync()).Data);
        Assert.False(stream.Completion.IsCompleted);
    }
}
