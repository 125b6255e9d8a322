using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Herald.Fanout;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Http;

public class PollEndpointTests
{
    private const string PollPath = TestHub.HubPath + "/poll";

    [Fact]
    public async Task Without_a_topic_it_answers_400()
    {
        await using var hub = await TestHub.StartAsync();
        using var response = await hub.PollRawAsync("timeout=0", hub.SubscriberToken("*"));
        await response.AssertRefusedAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public async Task A_malformed_timeout_answers_400(string timeout)
    {
        await using var hub = await TestHub.StartAsync();
        using var response = await hub.PollRawAsync("topic=t&timeout=" + timeout, hub.SubscriberToken("*"));
        var reason = await response.AssertRefusedAsync(HttpStatusCode.BadRequest);
        Assert.Contains("timeout", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_token_on_a_hub_that_is_not_anonymous_it_answers_401()
    {
        await using var hub = await TestHub.StartAsync();
        using var response = await hub.PollRawAsync("topic=t&timeout=0", token: null);
        await response.AssertRefusedAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_answers_401()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        var forged = Tokens.Create("another-key-that-is-long-enough-for-hs256!!", subscribe: ["*"]);
        using var response = await hub.PollRawAsync("topic=t&timeout=0", forged);
        await response.AssertRefusedAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Anonymous_callers_may_poll_public_updates_when_the_hub_allows_it()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        var first = await hub.PublishAsync("t", "one");
        await hub.PublishAsync("t", "two");

        var answer = await hub.PollAsync("topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(first), token: null);

        Assert.Equal(["two"], answer.Data);
    }

    [Fact]
    public async Task Retained_updates_after_the_cursor_are_answered_at_once_with_their_fields()
    {
        await using var hub = await TestHub.StartAsync();
        var first = await hub.PublishAsync("t", "one");
        await hub.PublishAsync("other", "not mine");
        var second = await hub.PublishAsync("t", "two\nlines", type: "progress");
        using (var retried = await hub.PostAsync([new("topic", "t"), new("data", "three"), new("retry", "1500")]))
        {
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        }

        var answer = await hub.PollAsync("topic=t&lastEventID=" + Uri.EscapeDataString(first), hub.SubscriberToken());

        Assert.Equal(["two\nlines", "three"], answer.Data);
        Assert.Equal(second, answer.Updates[0].GetProperty("id").GetString());
        Assert.Equal("progress", answer.Updates[0].GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, answer.Updates[0].GetProperty("retry").ValueKind);
        Assert.Equal("message", answer.Updates[1].GetProperty("type").GetString());
        Assert.Equal(1500, answer.Updates[1].GetProperty("retry").GetInt64());
        Assert.False(answer.Gap);

        // The answer's cursor resumes after everything answered.
        var next = await hub.PollAsync("topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(answer.LastEventId!), hub.SubscriberToken());
        Assert.Empty(next.Updates);
        Assert.False(next.Gap);
    }

    [Fact]
    public async Task Private_updates_reach_only_callers_granted_their_topic_and_their_ids_never_leak()
    {
        await using var hub = await TestHub.StartAsync();
        var cursor = await hub.PublishAsync("t", "start");
        var visible = await hub.PublishAsync("t", "public");
        var secret = await hub.PublishAsync("t", "secret", isPrivate: true);
        var query = "topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(cursor);

        var outsider = await hub.PollAsync(query, hub.SubscriberToken("other"));
        var granted = await hub.PollAsync(query, hub.SubscriberToken("t"));

        Assert.Equal(["public"], outsider.Data);
        Assert.Equal(visible, outsider.Updates[0].GetProperty("id").GetString());
        Assert.DoesNotContain(secret, outsider.Raw, StringComparison.Ordinal);
        Assert.Equal(["public", "secret"], granted.Data);

        // Both read up to the same position: the outsider's cursor tells it nothing the granted one does not.
        Assert.StartsWith("herald-cursor:", outsider.LastEventId, StringComparison.Ordinal);
        Assert.Equal(granted.LastEventId, outsider.LastEventId);
    }

    [Fact]
    public async Task When_only_an_invisible_update_arrived_the_cursor_moves_past_it_and_reveals_no_id()
    {
        await using var hub = await TestHub.StartAsync();
        var cursor = await hub.PublishAsync("t", "start");
        var secret = await hub.PublishAsync("t", "secret", isPrivate: true);

        var answer = await hub.PollAsync("topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(cursor), hub.SubscriberToken("other"));
        var now = await hub.PollAsync("topic=t&timeout=0", hub.SubscriberToken("other"));

        Assert.Empty(answer.Updates);
        Assert.DoesNotContain(secret, answer.Raw, StringComparison.Ordinal);

        // The same cursor any caller gets for "now": the head, past the secret, so it is not read again.
        Assert.Equal(now.LastEventId, answer.LastEventId);
    }

    [Fact]
    public async Task A_waiting_poll_answers_as_soon_as_a_matching_update_is_published()
    {
        await using var hub = await TestHub.StartAsync();
        var poll = hub.PollAsync("topic=t&timeout=60", hub.SubscriberToken());
        await hub.WaitForWaitersAsync(1);

        await hub.PublishAsync("other", "not mine");
        var id = await hub.PublishAsync("t", "hello");

        var answer = await poll.WaitAsync(SseStream.WaitLimit);
        Assert.Equal(["hello"], answer.Data);
        Assert.Equal(id, answer.Updates[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_waiting_poll_is_not_woken_by_a_private_update_it_may_not_see()
    {
        await using var hub = await TestHub.StartAsync();
        var cursor = await hub.PublishAsync("t", "start");
        var poll = hub.PollAsync("topic=t&timeout=60&lastEventID=" + Uri.EscapeDataString(cursor), hub.SubscriberToken("other"));
        await hub.WaitForWaitersAsync(1);

        await hub.PublishAsync("t", "secret", isPrivate: true);
        await hub.PublishAsync("t", "public");

        var answer = await poll.WaitAsync(SseStream.WaitLimit);
        Assert.Equal(["public"], answer.Data);
    }

    [Fact]
    public async Task On_timeout_it_answers_no_updates_and_a_cursor_that_resumes_where_the_caller_was()
    {
        await using var hub = await TestHub.StartAsync(fakeTime: true);
        var cursor = await hub.PublishAsync("t", "start");
        var poll = hub.PollAsync("topic=t&timeout=25&lastEventID=" + Uri.EscapeDataString(cursor), hub.SubscriberToken());
        await hub.WaitForWaitersAsync(1);

        hub.Time!.Advance(TimeSpan.FromSeconds(24));
        Assert.False(poll.IsCompleted, "answered before the timeout");
        hub.Time.Advance(TimeSpan.FromSeconds(1));

        var answer = await poll.WaitAsync(SseStream.WaitLimit);
        Assert.Empty(answer.Updates);
        Assert.False(answer.Gap);
        Assert.Equal(0, hub.Services.GetRequiredService<SubscriberIndex>().Count);

        var next = await hub.PublishAsync("t", "next");
        var resumed = await hub.PollAsync("topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(answer.LastEventId!), hub.SubscriberToken());
        Assert.Equal([next], resumed.Updates.Select(u => u.GetProperty("id").GetString()));
        Assert.False(resumed.Gap);
    }

    [Fact]
    public async Task A_timeout_above_the_maximum_is_served_at_the_maximum()
    {
        await using var hub = await TestHub.StartAsync(fakeTime: true);
        var poll = hub.PollAsync("topic=t&timeout=3600", hub.SubscriberToken());
        await hub.WaitForWaitersAsync(1);

        hub.Time!.Advance(TimeSpan.FromSeconds(60));

        var answer = await poll.WaitAsync(SseStream.WaitLimit);
        Assert.Empty(answer.Updates);
        Assert.StartsWith("herald-cursor:", answer.LastEventId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cursor_no_longer_retained_is_a_gap_and_everything_retained_is_answered()
    {
        await using var hub = await TestHub.StartAsync(o => o.HistoryMaxCount = 2);
        var evicted = await hub.PublishAsync("t", "one");
        await hub.PublishAsync("t", "two");
        await hub.PublishAsync("t", "three");

        var answer = await hub.PollAsync("topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(evicted), hub.SubscriberToken());

        Assert.True(answer.Gap);
        Assert.Equal(["two", "three"], answer.Data);
    }

    [Fact]
    public async Task Earliest_answers_everything_retained_without_a_gap()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync("t", "one");

        var answer = await hub.PollAsync("topic=t&timeout=0&lastEventID=earliest", hub.SubscriberToken());

        Assert.False(answer.Gap);
        Assert.Equal(["one"], answer.Data);
    }

    [Fact]
    public async Task At_most_100_updates_are_answered_and_the_next_poll_continues_from_the_last()
    {
        await using var hub = await TestHub.StartAsync();
        for (var i = 0; i < 130; i++)
        {
            await hub.PublishAsync("t", "u" + i);
        }

        var first = await hub.PollAsync("topic=t&timeout=0&lastEventID=earliest", hub.SubscriberToken());
        var second = await hub.PollAsync("topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(first.LastEventId!), hub.SubscriberToken());

        Assert.Equal(Enumerable.Range(0, 100).Select(i => "u" + i), first.Data);
        Assert.Equal(Enumerable.Range(100, 30).Select(i => "u" + i), second.Data);
    }
}
