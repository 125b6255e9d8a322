using System.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Http;

/// <summary>
/// One cursor model for streams and polls: an id the caller may see, <c>earliest</c>, or the hub's opaque cursor; an id
/// the caller may not see answers exactly as an unknown one; a cursor from a replaced store resumes as <c>earliest</c>.
/// </summary>
public sealed class ResumeCursorTests : IDisposable
{
    private const string Topic = "https://example.com/orders/42";

    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task A_private_id_the_caller_may_not_see_resumes_on_a_stream_exactly_as_an_unknown_id()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        await hub.PublishAsync(Topic, "before");
        var secret = await hub.PublishAsync(Topic, "secret", isPrivate: true, id: "order-42");
        await hub.PublishAsync(Topic, "after");

        var (privateHeader, privateEvents) = await ResumeStreamAsync(hub, secret);
        var (unknownHeader, unknownEvents) = await ResumeStreamAsync(hub, "order-43");

        Assert.Equal("earliest", privateHeader);
        Assert.Equal(unknownHeader, privateHeader);
        Assert.Equal(["before", "after"], privateEvents);
        Assert.Equal(unknownEvents, privateEvents);
    }

    [Fact]
    public async Task A_private_id_the_caller_may_not_see_resumes_a_poll_exactly_as_an_unknown_id()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        await hub.PublishAsync(Topic, "before");
        var secret = await hub.PublishAsync(Topic, "secret", isPrivate: true, id: "order-42");
        await hub.PublishAsync(Topic, "after");

        var ofPrivate = await hub.PollAsync($"topic={Uri.EscapeDataString(Topic)}&timeout=0&lastEventID={secret}", token: null);
        var ofUnknown = await hub.PollAsync($"topic={Uri.EscapeDataString(Topic)}&timeout=0&lastEventID=order-43", token: null);

        Assert.Equal(ofUnknown.Raw, ofPrivate.Raw);
        Assert.True(ofPrivate.Gap);
        Assert.Equal(["before", "after"], ofPrivate.Data);
    }

    [Fact]
    public async Task A_granted_caller_resumes_after_the_private_id()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync(Topic, "before");
        var secret = await hub.PublishAsync(Topic, "secret", isPrivate: true);
        await hub.PublishAsync(Topic, "after");

        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic), lastEventId: secret);

        Assert.Equal(secret, stream.Response.Headers.GetValues("Last-Event-ID").Single());
        Assert.Equal(["after"], (await hub.EventsBeforeMarkerAsync(stream, Topic)).Select(e => e.Data));
    }

    [Fact]
    public async Task A_client_that_changes_topics_resumes_from_a_public_id_of_another_topic()
    {
        await using var hub = await TestHub.StartAsync();
        var elsewhere = await hub.PublishAsync("https://example.com/other", "not subscribed any more");
        await hub.PublishAsync(Topic, "new topic");

        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(), lastEventId: elsewhere);

        Assert.Equal(elsewhere, stream.Response.Headers.GetValues("Last-Event-ID").Single());
        Assert.Equal(["new topic"], (await hub.EventsBeforeMarkerAsync(stream, Topic)).Select(e => e.Data));
    }

    [Fact]
    public async Task A_stream_resumes_from_a_poll_cursor_and_echoes_it()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync(Topic, "seen by the poll");
        var answer = await hub.PollAsync($"topic={Uri.EscapeDataString(Topic)}&timeout=0&lastEventID=earliest", hub.SubscriberToken());
        await hub.PublishAsync(Topic, "after the poll");

        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(), lastEventId: answer.LastEventId);

        Assert.Equal(answer.LastEventId, stream.Response.Headers.GetValues("Last-Event-ID").Single());
        Assert.Equal(["after the poll"], (await hub.EventsBeforeMarkerAsync(stream, Topic)).Select(e => e.Data));
    }

    [Theory]
    [InlineData("herald-cursor:0123456789abcdef.999999")]
    [InlineData("herald-cursor:not a cursor")]
    [InlineData("herald-cursor:")]
    [InlineData("herald-cursor:abc.99999999999999999999999")]
    public async Task A_forged_or_malformed_cursor_resumes_as_earliest(string cursor)
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync(Topic, "retained");

        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(), lastEventId: cursor);
        var poll = await hub.PollAsync($"topic={Uri.EscapeDataString(Topic)}&timeout=0&lastEventID={Uri.EscapeDataString(cursor)}", hub.SubscriberToken());

        Assert.Equal("earliest", stream.Response.Headers.GetValues("Last-Event-ID").Single());
        Assert.Equal(["retained"], (await hub.EventsBeforeMarkerAsync(stream, Topic)).Select(e => e.Data));
        Assert.True(poll.Gap);
        Assert.Equal(["retained"], poll.Data);
    }

    [Fact]
    public async Task A_cursor_whose_updates_were_evicted_is_a_gap_without_replaying_twice()
    {
        await using var hub = await TestHub.StartAsync(o => o.HistoryMaxCount = 2);
        await hub.PublishAsync(Topic, "one");
        var answer = await hub.PollAsync($"topic={Uri.EscapeDataString(Topic)}&timeout=0&lastEventID=earliest", hub.SubscriberToken());
        for (var i = 2; i <= 4; i++)
        {
            await hub.PublishAsync(Topic, "update " + i);
        }

        var resumed = await hub.PollAsync($"topic={Uri.EscapeDataString(Topic)}&timeout=0&lastEventID={Uri.EscapeDataString(answer.LastEventId!)}", hub.SubscriberToken());

        Assert.True(resumed.Gap);
        Assert.Equal(["update 3", "update 4"], resumed.Data);
    }

    [Fact]
    public async Task A_stored_id_with_a_control_character_resumes_as_unknown_without_a_500()
    {
        // Ids stored before control characters were refused may still be retained; the store takes them as given.
        await using var hub = await TestHub.StartAsync();
        var store = hub.Services.GetRequiredService<Herald.Storage.IHistoryStore>();
        await store.AppendAsync(new Update { Id = "legacy\u0001id", Topics = [Topic], Data = "old" }, default);
        await hub.PublishAsync(Topic, "new");

        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(), lastEventId: null);
        using var resumed = await hub.GetRawAsync($"topic={Uri.EscapeDataString(Topic)}&lastEventID=legacy%01id", r => r.Headers.Authorization = new("Bearer", hub.SubscriberToken()));

        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.Equal("earliest", resumed.Headers.GetValues("Last-Event-ID").Single());
    }

    [Fact]
    public async Task The_cursor_prefix_is_refused_as_a_publish_id()
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x"), new("id", "herald-cursor:abc.1")]);

        var reason = await response.AssertRefusedAsync(HttpStatusCode.BadRequest);
        Assert.Contains("herald-cursor:", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cursor_from_before_the_history_file_was_replaced_resumes_as_earliest()
    {
        var path = _dir.File("history.db");
        string cursor;
        string id;
        await using (var before = await TestHub.StartAsync(o => o.Store = "sqlite:" + path))
        {
            id = await before.PublishAsync(Topic, "old one");
            await before.PublishAsync(Topic, "old two");
            cursor = (await before.PollAsync($"topic={Uri.EscapeDataString(Topic)}&timeout=0&lastEventID=earliest", before.SubscriberToken())).LastEventId!;
        }

        File.Delete(path);
        await using var after = await TestHub.StartAsync(o => o.Store = "sqlite:" + path);
        await after.PublishAsync(Topic, "new one");
        await after.PublishAsync(Topic, "new two");
        await after.PublishAsync(Topic, "new three");

        // Position 2 exists in the new file too; only the generation tells that the cursor names another history.
        var poll = await after.PollAsync($"topic={Uri.EscapeDataString(Topic)}&timeout=0&lastEventID={Uri.EscapeDataString(cursor)}", after.SubscriberToken());
        await using var stream = await after.SubscribeAsync([Topic], after.SubscriberToken(), lastEventId: cursor);

        Assert.True(poll.Gap);
        Assert.Equal(["new one", "new two", "new three"], poll.Data);
        Assert.Equal("earliest", stream.Response.Headers.GetValues("Last-Event-ID").Single());
        Assert.Equal(["new one", "new two", "new three"], (await after.EventsBeforeMarkerAsync(stream, Topic)).Select(e => e.Data));
        Assert.DoesNotContain(id, poll.Raw, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();

    private static async Task<(string Header, List<string?> Events)> ResumeStreamAsync(TestHub hub, string lastEventId)
    {
        await using var stream = await hub.SubscribeAsync([Topic], lastEventId: lastEventId, anonymous: true);
        var events = await hub.EventsBeforeMarkerAsync(stream, Topic);

        // Markers of earlier reads are retained and replayed too: compare the updates under test.
        var updates = events.Select(e => e.Data).Where(d => !d.StartsWith("marker-", StringComparison.Ordinal)).ToList<string?>();
        return (stream.Response.Headers.GetValues("Last-Event-ID").Single(), updates);
    }
}
