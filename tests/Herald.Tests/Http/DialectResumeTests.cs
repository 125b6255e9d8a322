using System.Net.Http.Headers;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

/// <summary>
/// "Reconciliation" for 1.0 subscriptions, on a hub that serves both dialects: the <c>Last-Event-ID</c> header before
/// the <c>last_event_id</c> parameter before 0.x's <c>lastEventID</c>, the answer under both names
/// (<c>Mercure-Last-Event-ID</c>, the reference hub's, and draft-08's <c>Last-Event-ID</c>) that never names an update the caller may not see, and
/// resumes that cross dialects (an id seen on a 0.x stream resumes a 1.0 one).
/// </summary>
public class DialectResumeTests
{
    private const string Topic = "https://example.com/books/1";

    private static Task<TestHub> StartAsync() => TestHub.StartAsync(o =>
    {
        o.Protocol = HeraldProtocol.Both;
        AccessTokens.Configure(o);
        o.CorsOrigins = ["https://app.example"];
    });

    private static string Match(string value) => "matchURLPattern=" + Uri.EscapeDataString(value);

    [Fact]
    public async Task A_1_0_stream_resumes_from_an_id_a_0x_stream_received_and_is_answered_that_id()
    {
        await using var hub = await StartAsync();
        string seen;
        await using (var legacy = await hub.SubscribeAsync([Topic]))
        {
            await hub.PublishAsync(Topic, "first");
            seen = (await legacy.NextAsync()).EventId!;
        }

        await hub.PublishAsync(Topic, "second");
        await using var resumed = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, Match("https://example.com/books/:id"), hub.SubscriberToken(), seen);
        Assert.Equal(seen, resumed.Response.Headers.GetValues("Mercure-Last-Event-ID").Single());
        Assert.Equal(seen, resumed.Response.Headers.GetValues("Last-Event-ID").Single());
        Assert.Equal("second", (await resumed.NextAsync()).Data);
    }

    [Fact]
    public async Task Last_event_id_comes_after_the_header_and_before_lastEventID_and_both_dialects_are_answered_both_names()
    {
        await using var hub = await StartAsync();
        var first = await hub.PublishAsync(Topic, "first");
        var second = await hub.PublishAsync(Topic, "second");
        await hub.PublishAsync(Topic, "third");
        var both = "&last_event_id=" + Uri.EscapeDataString(second) + "&lastEventID=" + Uri.EscapeDataString(first);

        await using var v1 = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, Match(Topic) + both, hub.SubscriberToken(), null);
        Assert.Equal(second, v1.Response.Headers.GetValues("Mercure-Last-Event-ID").Single());
        Assert.Equal("third", (await v1.NextAsync()).Data);

        await using var legacy = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, "topic=" + Uri.EscapeDataString(Topic) + both, hub.SubscriberToken(), null);
        Assert.Equal(second, legacy.Response.Headers.GetValues("Mercure-Last-Event-ID").Single());
        Assert.Equal(second, legacy.Response.Headers.GetValues("Last-Event-ID").Single());
        Assert.Equal("third", (await legacy.NextAsync()).Data);

        await using var header = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, Match(Topic) + both, hub.SubscriberToken(), first);
        Assert.Equal(first, header.Response.Headers.GetValues("Mercure-Last-Event-ID").Single());
        Assert.Equal("second", (await header.NextAsync()).Data);
    }

    [Fact]
    public async Task The_header_takes_precedence_over_the_query_parameter_and_the_parameter_works_alone()
    {
        await using var hub = await StartAsync();
        var first = await hub.PublishAsync(Topic, "first");
        var second = await hub.PublishAsync(Topic, "second");
        await hub.PublishAsync(Topic, "third");

        await using var both = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, Match(Topic) + "&lastEventID=" + Uri.EscapeDataString(first), hub.SubscriberToken(), second);
        Assert.Equal(second, both.Response.Headers.GetValues("Mercure-Last-Event-ID").Single());
        Assert.Equal("third", (await both.NextAsync()).Data);

        await using var query = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, "match=" + Uri.EscapeDataString(Topic) + "&lastEventID=" + Uri.EscapeDataString(first), hub.SubscriberToken(), null);
        Assert.Equal(first, query.Response.Headers.GetValues("Mercure-Last-Event-ID").Single());
        Assert.Equal("second", (await query.NextAsync()).Data);
    }

    [Fact]
    public async Task Earliest_replays_everything_retained_and_an_unknown_id_is_answered_earliest()
    {
        await using var hub = await StartAsync();
        await hub.PublishAsync(Topic, "first");
        await using var earliest = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, Match(Topic), hub.SubscriberToken(), "earliest");
        Assert.Equal("first", (await earliest.NextAsync()).Data);

        await using var unknown = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, Match(Topic), hub.SubscriberToken(), "urn:uuid:never-published");
        Assert.Equal("earliest", unknown.Response.Headers.GetValues("Mercure-Last-Event-ID").Single());
    }

    [Fact]
    public async Task Resuming_from_a_private_update_the_caller_may_not_see_never_echoes_its_id()
    {
        await using var hub = await StartAsync();
        var secret = await hub.PublishAsync("https://example.com/secret", "secret", isPrivate: true);
        await hub.PublishAsync(Topic, "public");

        await using var resumed = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, Match("*"), hub.SubscriberToken("https://example.com/other"), secret);
        var answered = resumed.Response.Headers.GetValues("Mercure-Last-Event-ID").Single();
        Assert.NotEqual(secret, answered);
        Assert.Equal("earliest", answered);

        // The replay is the same as from the start, without the private update.
        Assert.Equal("public", (await resumed.NextAsync()).Data);
        Assert.DoesNotContain("secret", resumed.RawText);
    }

    [Fact]
    public async Task A_browser_on_an_allowed_origin_can_read_the_answered_Last_Event_ID()
    {
        await using var hub = await StartAsync();
        var id = await hub.PublishAsync(Topic, "first");
        using var request = new HttpRequestMessage(HttpMethod.Get, TestHub.HubPath + "?" + Match(Topic));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hub.SubscriberToken());
        request.Headers.Add("Origin", "https://app.example");
        request.Headers.Add("Last-Event-ID", id);
        using var response = await hub.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("https://app.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Mercure-Last-Event-ID", response.Headers.GetValues("Access-Control-Expose-Headers").Single());
        Assert.Equal(id, response.Headers.GetValues("Mercure-Last-Event-ID").Single());
    }
}
