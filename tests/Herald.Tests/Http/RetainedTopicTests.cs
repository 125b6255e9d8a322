using System.Net;
using System.Text.RegularExpressions;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

public partial class RetainedTopicTests
{
    private const string Bot1 = "https://example.com/bots/1";
    private const string Bot2 = "https://example.com/bots/2";
    private const string Bots = "https://example.com/bots/{id}";

    [Fact]
    public async Task A_subscriber_without_a_cursor_gets_the_latest_values_in_store_order_then_the_cursor_then_live_updates()
    {
        await using var hub = await TestHub.StartAsync();
        await PublishRetainedAsync(hub, Bot1, "v1");
        await PublishRetainedAsync(hub, Bot2, "w1");
        await hub.PublishAsync(Bot1, "plain, not retained");
        await PublishRetainedAsync(hub, Bot1, "v2");

        await using var stream = await hub.SubscribeAsync([Bots], hub.SubscriberToken("*"));
        Assert.Equal("w1", (await stream.NextAsync()).Data);
        Assert.Equal("v2", (await stream.NextAsync()).Data);
        var cursor = await CursorAsync(stream);
        Assert.EndsWith(".4", cursor, StringComparison.Ordinal);

        await PublishRetainedAsync(hub, Bot2, "w2");
        Assert.Equal("w2", (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task A_reconnect_with_the_snapshot_cursor_neither_misses_nor_repeats()
    {
        await using var hub = await TestHub.StartAsync();
        await PublishRetainedAsync(hub, Bot1, "v1");
        await PublishRetainedAsync(hub, Bot2, "w1");
        string cursor;
        await using (var first = await hub.SubscribeAsync([Bots], hub.SubscriberToken("*")))
        {
            Assert.Equal(["v1", "w1"], [(await first.NextAsync()).Data, (await first.NextAsync()).Data]);
            cursor = await CursorAsync(first);
        }

        // Published while the client was away: exactly these come back, nothing from the snapshot again.
        await PublishRetainedAsync(hub, Bot2, "w2");
        await hub.PublishAsync(Bot1, "plain");
        await using var second = await hub.SubscribeAsync([Bots], hub.SubscriberToken("*"), lastEventId: cursor);
        var events = await hub.EventsBeforeMarkerAsync(second, Bot1);
        Assert.Equal(["w2", "plain"], events.Select(e => e.Data));
    }

    [Fact]
    public async Task Private_latest_values_reach_only_subscribers_granted_their_topic()
    {
        await using var hub = await TestHub.StartAsync();
        using (var response = await hub.PostAsync([new("topic", Bot1), new("data", "secret"), new("private", "on"), new("retain", "true")]))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await PublishRetainedAsync(hub, Bot2, "public");

        await using var granted = await hub.SubscribeAsync([Bots], hub.SubscriberToken(Bot1));
        Assert.Equal(["secret", "public"], [(await granted.NextAsync()).Data, (await granted.NextAsync()).Data]);

        await using var other = await hub.SubscribeAsync([Bots], hub.SubscriberToken(Bot2));
        Assert.Equal("public", (await other.NextAsync()).Data);
        var cursor = await CursorAsync(other);

        // The cursor is the head's, the same whoever asks: it says nothing about the private value.
        Assert.Equal(cursor, await CursorAsync(granted));
    }

    [Fact]
    public async Task Earliest_gets_the_latest_values_older_than_the_history_it_replays()
    {
        await using var hub = await TestHub.StartAsync(o => o.HistoryMaxCount = 3); // the replay marker is the third
        await PublishRetainedAsync(hub, Bot1, "old value");
        await hub.PublishAsync(Bot2, "a");
        await hub.PublishAsync(Bot2, "b");
        await hub.PublishAsync(Bot2, "c");

        var (events, _) = await hub.ReplayAllAsync([Bots], hub.SubscriberToken("*"), Bot2);

        Assert.Equal(["old value", "b", "c"], events.Select(e => e.Data));
    }

    [Fact]
    public async Task A_template_matching_more_latest_values_than_the_limit_gets_the_newest_and_is_told()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxRetainedPerSubscription = 2);
        for (var i = 1; i <= 4; i++)
        {
            await PublishRetainedAsync(hub, $"https://example.com/bots/{i}", $"bot {i}");
        }

        await using var stream = await hub.SubscribeAsync([Bots], hub.SubscriberToken("*"));
        Assert.Equal("true", stream.Response.Headers.GetValues("Herald-Retained-Cut").Single());
        var cut = await stream.NextAsync();
        Assert.Equal(("herald.retained-cut", "{\"sent\":2}"), (cut.EventType, cut.Data));
        Assert.Equal(["bot 3", "bot 4"], [(await stream.NextAsync()).Data, (await stream.NextAsync()).Data]);
    }

    [Fact]
    public async Task Topics_configured_as_retained_keep_latest_values_without_the_field_and_retain_false_is_no()
    {
        await using var hub = await TestHub.StartAsync(o => o.RetainedTopics = [Bots]);
        await hub.PublishAsync(Bot1, "configured");
        using (var response = await hub.PostAsync([new("topic", "https://example.com/other"), new("data", "x"), new("retain", "false")]))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await using var stream = await hub.SubscribeAsync([Bots, "https://example.com/other"], hub.SubscriberToken("*"));
        Assert.Equal("configured", (await stream.NextAsync()).Data);
        await CursorAsync(stream);
        var events = await hub.EventsBeforeMarkerAsync(stream, "https://example.com/other");
        Assert.Empty(events);
    }

    [Fact]
    public async Task A_long_poll_without_a_cursor_is_answered_at_once_with_the_latest_values_and_a_cursor_that_resumes_after_them()
    {
        await using var hub = await TestHub.StartAsync();
        await PublishRetainedAsync(hub, Bot1, "v1");
        await PublishRetainedAsync(hub, Bot1, "v2");

        var snapshot = await hub.PollAsync("topic=" + Uri.EscapeDataString(Bots) + "&timeout=30", hub.SubscriberToken("*"));
        Assert.Equal(["v2"], snapshot.Data);
        Assert.False(snapshot.Gap);

        var empty = await hub.PollAsync("topic=" + Uri.EscapeDataString(Bots) + "&timeout=0&lastEventID=" + Uri.EscapeDataString(snapshot.LastEventId!), hub.SubscriberToken("*"));
        Assert.Empty(empty.Data);

        await PublishRetainedAsync(hub, Bot1, "v3");
        var next = await hub.PollAsync("topic=" + Uri.EscapeDataString(Bots) + "&timeout=0&lastEventID=" + Uri.EscapeDataString(empty.LastEventId!), hub.SubscriberToken("*"));
        Assert.Equal(["v3"], next.Data);
    }

    [Fact]
    public async Task A_subscriber_without_retained_topics_gets_no_cursor_line()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync(Bot1, "plain");
        await using var stream = await hub.SubscribeAsync([Bots], hub.SubscriberToken("*"));
        await hub.EventsBeforeMarkerAsync(stream, Bot1);
        Assert.DoesNotContain("herald-cursor:", stream.RawText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_latest_retained_only_a_resume_replays_the_latest_version_and_skips_superseded_ones()
    {
        await using var hub = await TestHub.StartAsync(o => o.HistoryKeepsLatestRetainedOnly = true);
        var start = await hub.PublishAsync(Bot2, "start");
        await PublishRetainedAsync(hub, Bot1, "v1");
        await hub.PublishAsync(Bot2, "plain");
        await PublishRetainedAsync(hub, Bot1, "v2");
        await PublishRetainedAsync(hub, Bot1, "v3");

        await using var stream = await hub.SubscribeAsync([Bots], hub.SubscriberToken("*"), lastEventId: start);
        var events = await hub.EventsBeforeMarkerAsync(stream, Bot2);
        Assert.Equal(["plain", "v3"], events.Select(e => e.Data));

        var poll = await hub.PollAsync("topic=" + Uri.EscapeDataString(Bots) + "&timeout=0&lastEventID=" + Uri.EscapeDataString(start), hub.SubscriberToken("*"));
        Assert.Equal(["plain", "v3"], poll.Data.Take(2));
    }

    [Fact]
    public async Task Settings_that_cannot_work_are_refused_at_start_naming_them()
    {
        var redis = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestHub.StartAsync(o =>
        {
            o.Store = "redis://127.0.0.1:1";
            o.HistoryKeepsLatestRetainedOnly = true;
        }));
        Assert.Contains("HistoryKeepsLatestRetainedOnly", redis.Message, StringComparison.Ordinal);

        var limit = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestHub.StartAsync(o => o.MaxRetainedPerSubscription = 0));
        Assert.Contains("MaxRetainedPerSubscription", limit.Message, StringComparison.Ordinal);
    }

    private static async Task PublishRetainedAsync(TestHub hub, string topic, string data)
    {
        using var response = await hub.PostAsync([new("topic", topic), new("data", data), new("retain", "on")]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The hub cursor of the snapshot's lone <c>id:</c> line (the parser dispatches no event for it).</summary>
    private static async Task<string> CursorAsync(SseStream stream)
    {
        await stream.WaitForRawAsync("\nid: herald-cursor:");
        await stream.WaitForRawAsync("\n\n");
        var match = CursorLine().Match(stream.RawText);
        Assert.True(match.Success, stream.RawText);
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"\n\nid: (herald-cursor:[A-Za-z0-9]+\.\d+)\n\n")]
    private static partial Regex CursorLine();
}
