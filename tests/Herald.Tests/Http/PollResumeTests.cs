using System.Net;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Http;

/// <summary>The long poll resumes like the stream: it loses nothing between polls and shares the stream's caps and refusals.</summary>
public class PollResumeTests
{
    [Fact]
    public async Task Updates_published_between_polls_are_each_received_once_in_order()
    {
        await using var hub = await TestHub.StartAsync();
        var token = hub.SubscriberToken("other");
        var expected = new List<string>();
        var received = new List<string>();

        // The first poll sends no cursor, as a client that starts "now" does; every later one sends the answer's.
        string? cursor = null;
        for (var i = 0; i < 1000; i++)
        {
            var query = "topic=t&timeout=0" + (cursor is null ? "" : "&lastEventID=" + Uri.EscapeDataString(cursor));
            var answer = await hub.PollAsync(query, token);
            received.AddRange(answer.Ids!);
            Assert.False(answer.Gap, $"poll {i} reported a gap");
            cursor = answer.LastEventId;
            Assert.NotNull(cursor);

            // Published only while no poll is outstanding; every 7th is one this caller may not see.
            if (i % 7 == 3)
            {
                await hub.PublishAsync("t", "secret " + i, isPrivate: true);
            }
            else
            {
                expected.Add(await hub.PublishAsync("t", "update " + i));
            }
        }

        received.AddRange((await hub.PollAsync("topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(cursor!), token)).Ids!);
        Assert.Equal(expected, received);
    }

    [Fact]
    public async Task An_unknown_cursor_with_nothing_visible_is_not_rescanned_on_the_next_poll()
    {
        await using var hub = await TestHub.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await hub.PublishAsync("t", "secret " + i, isPrivate: true);
        }

        var token = hub.SubscriberToken("other");
        var first = await hub.PollAsync("topic=t&timeout=0&lastEventID=urn:unknown", token);
        var second = await hub.PollAsync("topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(first.LastEventId!), token);

        Assert.True(first.Gap);
        Assert.Empty(first.Updates);

        // Resumed from the head the first answer reached: no gap again, no restart at position 0.
        Assert.False(second.Gap);
        Assert.Equal(first.LastEventId, second.LastEventId);
    }

    [Fact]
    public async Task Earliest_with_nothing_visible_answers_a_cursor_at_what_it_read()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync("t", "secret", isPrivate: true);
        var token = hub.SubscriberToken("other");

        var first = await hub.PollAsync("topic=t&timeout=0&lastEventID=earliest", token);
        var now = await hub.PollAsync("topic=t&timeout=0", token);

        Assert.Empty(first.Updates);
        Assert.Equal(now.LastEventId, first.LastEventId);
    }

    [Fact]
    public async Task A_poll_further_behind_than_max_replay_answers_the_newest_with_a_gap()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxReplay = 3);
        var ids = new List<string>();
        for (var i = 1; i <= 6; i++)
        {
            ids.Add(await hub.PublishAsync("t", "update " + i));
        }

        var fromId = await hub.PollAsync("topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(ids[0]), hub.SubscriberToken());
        var fromEarliest = await hub.PollAsync("topic=t&timeout=0&lastEventID=earliest", hub.SubscriberToken());
        var withinCap = await hub.PollAsync("topic=t&timeout=0&lastEventID=" + Uri.EscapeDataString(ids[2]), hub.SubscriberToken());

        Assert.Equal(["update 4", "update 5", "update 6"], fromId.Data);
        Assert.True(fromId.Gap);
        Assert.Equal(["update 4", "update 5", "update 6"], fromEarliest.Data);
        Assert.True(fromEarliest.Gap);
        Assert.Equal(["update 4", "update 5", "update 6"], withinCap.Data);
        Assert.False(withinCap.Gap);
    }

    [Fact]
    public async Task Polls_read_the_store_within_the_replay_slots()
    {
        InstrumentedStore? store = null;
        await using var hub = await TestHub.StartAsync(
            o => o.MaxConcurrentReplays = 1,
            services: s => s.AddSingleton<IHistoryStore>(sp => store = new InstrumentedStore(TimeProvider.System)));
        await hub.PublishAsync("t", "one");

        store!.HoldReads();
        var polls = Enumerable.Range(0, 4).Select(_ => hub.PollAsync("topic=t&timeout=0&lastEventID=earliest", hub.SubscriberToken())).ToList();
        await store.WaitForReadsAsync(1);
        await hub.WaitForWaitersAsync(4);
        store.ReleaseReads();

        foreach (var poll in polls)
        {
            Assert.Equal(["one"], (await poll.WaitAsync(SseStream.WaitLimit)).Data);
        }

        Assert.Equal(1, store.MaxReadsInFlight);
    }

    [Fact]
    public async Task An_unavailable_store_refuses_a_poll_with_503_and_retry_after()
    {
        InstrumentedStore? store = null;
        await using var hub = await TestHub.StartAsync(services: s => s.AddSingleton<IHistoryStore>(sp => store = new InstrumentedStore(TimeProvider.System)));
        await hub.PublishAsync("t", "one");
        store!.Unavailable = "the test store is down";

        using var refused = await hub.PollRawAsync("topic=t&timeout=0&lastEventID=earliest", hub.SubscriberToken());
        var reason = await refused.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable);

        Assert.Contains("the test store is down", reason, StringComparison.Ordinal);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(0, store.ReadsStarted);
    }

    [Fact]
    public async Task A_store_read_that_fails_answers_503_with_retry_after()
    {
        InstrumentedStore? store = null;
        await using var hub = await TestHub.StartAsync(services: s => s.AddSingleton<IHistoryStore>(sp => store = new InstrumentedStore(TimeProvider.System)));
        await hub.PublishAsync("t", "one");
        store!.FailReads = true;

        using var poll = await hub.PollRawAsync("topic=t&timeout=0&lastEventID=earliest", hub.SubscriberToken());
        await poll.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable);
        using var stream = await hub.GetRawAsync("topic=t", r =>
        {
            r.Headers.Authorization = new("Bearer", hub.SubscriberToken());
            r.Headers.Add("Last-Event-ID", "earliest");
        });
        await stream.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable);

        Assert.NotNull(poll.Headers.RetryAfter);
        Assert.NotNull(stream.Headers.RetryAfter);
    }
}
