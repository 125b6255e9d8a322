using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

/// <summary>
/// On fake time: the optional maximum connection lifetime ends a stream gracefully (a <c>retry:</c>, then resumable
/// from its last id), and a 1.0 stream, like a 0.x one, closes no later than its token's <c>exp</c>.
/// </summary>
public class ConnectionLifetimeTests
{
    private const string Topic = "https://example.com/books/1";

    [Fact]
    public async Task A_stream_ends_at_the_maximum_lifetime_with_a_retry_and_resumes_without_loss()
    {
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.Protocol = HeraldProtocol.Both;
            AccessTokens.Configure(o);
            o.MaxConnectionLifetime = TimeSpan.FromMinutes(10);
        }, fakeTime: true);
        var token = hub.SubscriberToken("*");
        await using var stream = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, "match=" + Uri.EscapeDataString(Topic), token, null);
        await hub.PublishAsync(Topic, "before");
        var last = (await stream.NextAsync()).EventId;

        // The jitter takes at most a tenth off: open at 89 % of the lifetime, closed at 100 %.
        hub.Time!.Advance(TimeSpan.FromMinutes(8.9));
        await hub.PublishAsync(Topic, "still open");
        Assert.Equal("still open", (await stream.NextAsync()).Data);
        Assert.False(stream.Completion.IsCompleted);
        last = await hub.PublishAsync(Topic, "queued before the end");
        Assert.Equal("queued before the end", (await stream.NextAsync()).Data);

        hub.Time.Advance(TimeSpan.FromMinutes(1.1));
        await stream.Completion.WaitAsync(SseStream.WaitLimit);
        Assert.Matches(@"retry: \d+\n\n$", stream.RawText);

        await hub.PublishAsync(Topic, "while away");
        await using var resumed = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, "match=" + Uri.EscapeDataString(Topic), token, last);
        Assert.Equal("while away", (await resumed.NextAsync()).Data);
    }

    [Fact]
    public async Task Without_the_option_a_stream_stays_open()
    {
        await using var hub = await TestHub.StartAsync(fakeTime: true);
        await using var stream = await hub.SubscribeAsync([Topic]);
        hub.Time!.Advance(TimeSpan.FromDays(30));
        await hub.PublishAsync(Topic, "a month later");
        Assert.Equal("a month later", (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task A_1_0_stream_closes_at_its_tokens_exp()
    {
        await using var hub = await TestHub.StartAsync(o => { o.Protocol = HeraldProtocol.Both; AccessTokens.Configure(o); }, fakeTime: true);
        // exp is whole seconds.
        var expires = DateTimeOffset.FromUnixTimeSeconds(hub.Time!.GetUtcNow().ToUnixTimeSeconds() + 30);
        var token = Tokens.Create(TestHub.Key, subscribe: ["*"], expires: expires);
        await using var stream = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, "matchURLPattern=" + Uri.EscapeDataString("https://example.com/books/:id"), token, null);

        hub.Time.Advance(expires - hub.Time.GetUtcNow() - TimeSpan.FromMilliseconds(1));
        await hub.PublishAsync(Topic, "private, just in time", isPrivate: true);
        Assert.Contains(await stream.ReadUntilDataAsync("private, just in time"), e => e.EventType == "herald.token-expiring");
        Assert.False(stream.Completion.IsCompleted);

        hub.Time.Advance(TimeSpan.FromMilliseconds(1));
        await stream.Completion.WaitAsync(SseStream.WaitLimit);
        await hub.PublishAsync(Topic, "private, after exp", isPrivate: true);
        Assert.DoesNotContain("after exp", stream.RawText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_poll_waits_no_longer_than_the_maximum_lifetime()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxConnectionLifetime = TimeSpan.FromSeconds(5), fakeTime: true);
        var poll = hub.PollAsync("topic=" + Uri.EscapeDataString(Topic) + "&timeout=60", hub.SubscriberToken());
        await hub.WaitForWaitersAsync(1);
        hub.Time!.Advance(TimeSpan.FromSeconds(5));
        var answer = await poll.WaitAsync(SseStream.WaitLimit);
        Assert.Empty(answer.Updates);
    }
}
