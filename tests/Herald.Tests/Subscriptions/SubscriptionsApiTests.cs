using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Subscriptions;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Subscriptions;

/// <summary>
/// Mercure 0.x "Active Subscriptions" on a real hub: the events a stream's subscriptions announce, the API listing
/// them in the spec's JSON-LD, who may read it, and a list-then-resume that misses nothing.
/// </summary>
public class SubscriptionsApiTests
{
    private const string Api = TestHub.HubPath + "/subscriptions";

    /// <summary>Grants the whole API and every event (the events' topics are expansions of the same template).</summary>
    private const string AdminGrant = "/.well-known/mercure/subscriptions{/topic}{/subscriber}";

    private static readonly string[] EventsTopic = [SubscriptionPaths.EventsTemplate];

    [Fact]
    public void The_event_topic_and_document_are_the_specs_example()
    {
        // Spec v0.24.2, "Subscription Events": the example, with @context as the events carry it.
        const string example = """
            {
               "@context": "https://mercure.rocks/",
               "id": "/.well-known/mercure/subscriptions/https%3A%2F%2Fexample.com%2F%7Bselector%7D/urn%3Auuid%3Abb3de268-05b0-4c65-b44e-8f9acefc29d6",
               "type": "Subscription",
               "topic": "https://example.com/{selector}",
               "subscriber": "urn:uuid:bb3de268-05b0-4c65-b44e-8f9acefc29d6",
               "active": true,
               "payload": {"foo": "bar"}
            }
            """;
        using var payload = JsonDocument.Parse("""{"foo": "bar"}""");
        var subscription = new ActiveSubscription("https://example.com/{selector}", "urn:uuid:bb3de268-05b0-4c65-b44e-8f9acefc29d6", payload.RootElement.Clone());

        var written = JsonNode.Parse(SubscriptionJson.Event(subscription, active: true))!;

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(example), written), written.ToJsonString());
        Assert.Equal(Keys(JsonNode.Parse(example)!), Keys(written));
    }

    [Fact]
    public async Task A_stream_announces_each_subscription_opening_and_closing_to_granted_subscribers_only()
    {
        await using var hub = await TestHub.StartAsync(o => o.Subscriptions = true);
        await using var admin = await hub.SubscribeAsync(EventsTopic, hub.SubscriberToken(AdminGrant));
        await using var ungranted = await hub.SubscribeAsync([SubscriptionPaths.EventsTemplate, "marker"], hub.SubscriberToken("https://example.com/{id}"));
        var payloadToken = Tokens.Create(TestHub.Key, subscribe: ["https://example.com/{id}"], payload: new JsonObject { ["user"] = "alice" });

        // The watchers' own subscriptions are announced too.
        var watchers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            watchers.Add(Document(await NextSubscriptionEventAsync(admin))["topic"]!.GetValue<string>());
        }

        Assert.Equal([SubscriptionPaths.EventsTemplate, SubscriptionPaths.EventsTemplate, "marker"], watchers);

        var subscriber = await hub.SubscribeAsync(["https://example.com/{id}", "plain"], payloadToken);
        var opened = new[] { Document(await NextSubscriptionEventAsync(admin)), Document(await NextSubscriptionEventAsync(admin)) };
        await subscriber.DisposeAsync();
        var closed = new[] { Document(await NextSubscriptionEventAsync(admin)), Document(await NextSubscriptionEventAsync(admin)) };

        Assert.Equal(["https://example.com/{id}", "plain"], opened.Select(d => d["topic"]!.GetValue<string>()));
        Assert.All(opened, d => Assert.True(d["active"]!.GetValue<bool>()));
        Assert.All(closed, d => Assert.False(d["active"]!.GetValue<bool>()));
        Assert.Equal(opened.Select(d => d["id"]!.GetValue<string>()), closed.Select(d => d["id"]!.GetValue<string>()));
        var subscriberId = opened[0]["subscriber"]!.GetValue<string>();
        Assert.StartsWith("urn:uuid:", subscriberId, StringComparison.Ordinal);
        Assert.All(opened.Concat(closed), d => Assert.Equal(subscriberId, d["subscriber"]!.GetValue<string>()));
        Assert.All(opened, d => Assert.Equal("alice", d["payload"]!["user"]!.GetValue<string>()));
        Assert.Equal(SubscriptionPaths.TopicOf("plain", subscriberId), opened[1]["id"]!.GetValue<string>());

        // The events are private: the subscriber without a grant saw none of them, only the marker published after.
        await hub.PublishAsync("marker", "marker");
        Assert.Equal("marker", (await ungranted.NextAsync()).Data);
    }

    [Fact]
    public async Task The_lists_are_the_specs_documents_and_follow_the_connections()
    {
        await using var hub = await TestHub.StartAsync(o => o.Subscriptions = true);
        var admin = hub.SubscriberToken(AdminGrant);
        await using var events = await hub.SubscribeAsync(EventsTopic, admin);
        var own = Document(await NextSubscriptionEventAsync(events));
        var payloadToken = Tokens.Create(TestHub.Key, subscribe: [], payload: new JsonObject { ["foo"] = "bar" });
        var subscriber = await hub.SubscribeAsync(["https://example.com/{selector}"], payloadToken);
        var opened = Document(await NextSubscriptionEventAsync(events));
        var subscriberId = opened["subscriber"]!.GetValue<string>();

        var all = await GetJsonAsync(hub, Api, admin);
        var byTopic = await GetJsonAsync(hub, Api + "/" + Uri.EscapeDataString("https://example.com/{selector}"), admin);
        var single = await GetJsonAsync(hub, Api + "/" + Uri.EscapeDataString("https://example.com/{selector}") + "/" + Uri.EscapeDataString(subscriberId), admin);

        // Property for property as the spec's examples.
        Assert.Equal(["@context", "id", "type", "lastEventID", "subscriptions"], Keys(all));
        Assert.Equal("https://mercure.rocks/", all["@context"]!.GetValue<string>());
        Assert.Equal("/.well-known/mercure/subscriptions", all["id"]!.GetValue<string>());
        Assert.Equal("Subscriptions", all["type"]!.GetValue<string>());
        var listed = all["subscriptions"]!.AsArray();
        Assert.Equal([own["id"]!.GetValue<string>(), opened["id"]!.GetValue<string>()], listed.Select(s => s!["id"]!.GetValue<string>()));
        Assert.Equal(["id", "type", "topic", "subscriber", "active", "payload"], Keys(listed[1]!));
        Assert.Equal(opened["id"]!.GetValue<string>(), listed[1]!["id"]!.GetValue<string>());
        Assert.Equal("bar", listed[1]!["payload"]!["foo"]!.GetValue<string>());

        Assert.Equal("/.well-known/mercure/subscriptions/https%3A%2F%2Fexample.com%2F%7Bselector%7D", byTopic["id"]!.GetValue<string>());
        Assert.Equal([opened["id"]!.GetValue<string>()], byTopic["subscriptions"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()));

        Assert.Equal(["@context", "id", "type", "topic", "subscriber", "active", "payload", "lastEventID"], Keys(single));
        Assert.Equal(opened["id"]!.GetValue<string>(), single["id"]!.GetValue<string>());

        // The last event is the announcement this caller may see: its id is the list's lastEventID.
        Assert.Equal(all["lastEventID"]!.GetValue<string>(), single["lastEventID"]!.GetValue<string>());

        await subscriber.DisposeAsync();
        await NextSubscriptionEventAsync(events);
        var after = await GetJsonAsync(hub, Api, admin);
        Assert.Equal([own["id"]!.GetValue<string>()], after["subscriptions"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()));
        using var gone = await GetAsync(hub, Api + "/" + Uri.EscapeDataString("https://example.com/{selector}") + "/" + Uri.EscapeDataString(subscriberId), admin);
        await gone.AssertRefusedAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_client_that_reads_the_list_then_resumes_from_its_lastEventID_misses_no_change()
    {
        await using var hub = await TestHub.StartAsync(o => o.Subscriptions = true);
        var admin = hub.SubscriberToken(AdminGrant);
        await using var watcher = await hub.SubscribeAsync(EventsTopic, admin);
        await NextSubscriptionEventAsync(watcher);
        var first = await hub.SubscribeAsync(["a"], hub.SubscriberToken());
        await NextSubscriptionEventAsync(watcher);

        var list = await GetJsonAsync(hub, Api, admin);
        var second = await hub.SubscribeAsync(["b"], hub.SubscriberToken());
        await first.DisposeAsync();
        await NextSubscriptionEventAsync(watcher);
        await NextSubscriptionEventAsync(watcher);

        await using var resumed = await hub.SubscribeAsync(EventsTopic, admin, list["lastEventID"]!.GetValue<string>());
        var replayed = new[] { Document(await NextSubscriptionEventAsync(resumed)), Document(await NextSubscriptionEventAsync(resumed)) };
        Assert.Equal([("b", true), ("a", false)], replayed.Select(d => (d["topic"]!.GetValue<string>(), d["active"]!.GetValue<bool>())));
        await second.DisposeAsync();
    }

    [Fact]
    public async Task The_lastEventID_is_a_hub_cursor_when_the_last_update_is_one_the_caller_may_not_see()
    {
        await using var hub = await TestHub.StartAsync(o => o.Subscriptions = true);
        var admin = hub.SubscriberToken(AdminGrant);
        await using var watcher = await hub.SubscribeAsync(EventsTopic, admin);
        await NextSubscriptionEventAsync(watcher);
        var secretId = await hub.PublishAsync("secret", "hidden", isPrivate: true);
        await hub.WaitForDispatchAsync(2);

        var list = await GetJsonAsync(hub, Api, admin);
        var cursor = list["lastEventID"]!.GetValue<string>();

        Assert.StartsWith("herald-cursor:", cursor, StringComparison.Ordinal);
        Assert.DoesNotContain(secretId, list.ToJsonString(), StringComparison.Ordinal);

        // The cursor resumes exactly there: the next announcement, nothing before it.
        await using var resumed = await hub.SubscribeAsync(EventsTopic, admin, cursor);
        await using var other = await hub.SubscribeAsync(["x"], hub.SubscriberToken());
        Assert.Equal(
            [SubscriptionPaths.EventsTemplate, "x"],
            [Document(await NextSubscriptionEventAsync(resumed))["topic"]!.GetValue<string>(), Document(await NextSubscriptionEventAsync(resumed))["topic"]!.GetValue<string>()]);
    }

    [Fact]
    public async Task A_reconnect_storm_announces_every_change_and_evicts_no_application_update()
    {
        await using var hub = await TestHub.StartAsync(o => (o.Subscriptions, o.HistoryMaxCount) = (true, 5));
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await hub.PublishAsync("app", $"update {i}"));
        }

        var admin = hub.SubscriberToken(AdminGrant);
        await using var watcher = await hub.SubscribeAsync(EventsTopic, admin);
        await NextSubscriptionEventAsync(watcher);
        const int storm = 200;
        var streams = await Task.WhenAll(Enumerable.Range(0, storm).Select(i => hub.SubscribeAsync([$"storm/{i}"], hub.SubscriberToken())));
        await Task.WhenAll(streams.Select(s => s.DisposeAsync().AsTask()));

        // Every open and every close is announced, once each.
        var seen = new Dictionary<string, int>();
        for (var i = 0; i < 2 * storm; i++)
        {
            var change = Document(await NextSubscriptionEventAsync(watcher));
            var topic = change["topic"]!.GetValue<string>();
            seen[topic] = seen.GetValueOrDefault(topic) + (change["active"]!.GetValue<bool>() ? 1 : 10);
        }

        Assert.Equal(storm, seen.Count);
        Assert.All(seen.Values, v => Assert.Equal(11, v));

        // The application's five updates are all still replayable.
        await using var replay = await hub.SubscribeAsync(["app"], hub.SubscriberToken(), "earliest");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(ids[i], (await replay.NextAsync()).EventId);
        }
    }

    [Fact]
    public async Task Announcements_the_store_could_not_take_are_recorded_once_it_can()
    {
        InstrumentedStore? store = null;
        await using var hub = await TestHub.StartAsync(
            o => o.Subscriptions = true,
            services: s => s.AddSingleton<Herald.Storage.IHistoryStore>(_ => store = new InstrumentedStore(TimeProvider.System)));
        var admin = hub.SubscriberToken(AdminGrant);
        await using var watcher = await hub.SubscribeAsync(EventsTopic, admin);
        await NextSubscriptionEventAsync(watcher);

        store!.FailAppends = true;
        await using var subscriber = await hub.SubscribeAsync(["during-outage"], hub.SubscriberToken());
        await store.AppendRefused.WaitAsync(SseStream.WaitLimit);
        store.FailAppends = false;

        var change = Document(await NextSubscriptionEventAsync(watcher));
        Assert.Equal(("during-outage", true), (change["topic"]!.GetValue<string>(), change["active"]!.GetValue<bool>()));
        var listed = await GetJsonAsync(hub, Api, admin);
        Assert.Contains("during-outage", listed["subscriptions"]!.AsArray().Select(s => s!["topic"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Reading_needs_a_token_whose_subscribe_grant_matches_the_requested_url()
    {
        await using var hub = await TestHub.StartAsync(o => (o.Subscriptions, o.Anonymous) = (true, true));
        var topicOnly = hub.SubscriberToken("/.well-known/mercure/subscriptions/" + Uri.EscapeDataString("https://example.com/a"));

        using var anonymous = await GetAsync(hub, Api, token: null);
        using var ungranted = await GetAsync(hub, Api, hub.SubscriberToken("https://example.com/{id}"));
        using var otherTopic = await GetAsync(hub, Api, topicOnly);
        using var ownTopic = await GetAsync(hub, Api + "/" + Uri.EscapeDataString("https://example.com/a"), topicOnly);
        using var invalid = await GetAsync(hub, Api, "not-a-token");

        await anonymous.AssertRefusedAsync(HttpStatusCode.Forbidden);
        Assert.Contains("/.well-known/mercure/subscriptions", await ungranted.AssertRefusedAsync(HttpStatusCode.Forbidden), StringComparison.Ordinal);
        await otherTopic.AssertRefusedAsync(HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, ownTopic.StatusCode);
        await invalid.AssertRefusedAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Off_by_default_the_api_is_a_404_that_says_how_to_turn_it_on_and_nothing_is_announced()
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await hub.SubscribeAsync([SubscriptionPaths.EventsTemplate, "marker"], hub.SubscriberToken(AdminGrant));
        await using var subscriber = await hub.SubscribeAsync(["a"], hub.SubscriberToken());
        await hub.PublishAsync("marker", "marker");

        using var response = await GetAsync(hub, Api, hub.SubscriberToken(AdminGrant));

        Assert.Contains("--subscriptions", await response.AssertRefusedAsync(HttpStatusCode.NotFound), StringComparison.Ordinal);
        Assert.Equal("marker", (await watcher.NextAsync()).Data);
    }

    [Theory]
    [InlineData("/%E2%82")]
    [InlineData("/%C3")]
    [InlineData("/a/b/c")]
    [InlineData("/a//b")]
    [InlineData("/")]
    [InlineData("/a/")]
    public async Task Malformed_paths_are_a_clear_404(string suffix)
    {
        await using var hub = await TestHub.StartAsync(o => o.Subscriptions = true);

        using var response = await GetAsync(hub, Api + suffix, hub.SubscriberToken("*"));

        Assert.Contains("percent-encoded", await response.AssertRefusedAsync(HttpStatusCode.NotFound), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_or_non_ascii_topic_is_looked_up_not_crashed_on()
    {
        await using var hub = await TestHub.StartAsync(o => o.Subscriptions = true);
        var token = hub.SubscriberToken("*");

        using var huge = await GetAsync(hub, Api + "/" + new string('a', 6000), token);
        using var unicode = await GetAsync(hub, Api + "/" + Uri.EscapeDataString("https://example.com/é/😀") + "/" + Uri.EscapeDataString("urn:uuid:x"), token);
        using var control = await GetAsync(hub, Api + "/%0D%0Ax", token);

        Assert.Equal(HttpStatusCode.OK, huge.StatusCode);
        Assert.Empty(JsonNode.Parse(await huge.Content.ReadAsStringAsync())!["subscriptions"]!.AsArray());
        await unicode.AssertRefusedAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, control.StatusCode);
    }

    [Fact]
    public async Task An_unchanged_list_answers_304_to_its_etag()
    {
        await using var hub = await TestHub.StartAsync(o => o.Subscriptions = true);
        var token = hub.SubscriberToken(AdminGrant);
        using var first = await GetAsync(hub, Api, token);
        var etag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, Api);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await hub.Client.SendAsync(request);

        Assert.Equal("application/ld+json", first.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    private static Task<System.Net.ServerSentEvents.SseItem<string>> NextSubscriptionEventAsync(SseStream stream) => stream.NextAsync();

    private static JsonObject Document(System.Net.ServerSentEvents.SseItem<string> item) => JsonNode.Parse(item.Data)!.AsObject();

    private static string[] Keys(JsonNode node) => node.AsObject().Select(p => p.Key).ToArray();

    private static async Task<HttpResponseMessage> GetAsync(TestHub hub, string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await hub.Client.SendAsync(request);
    }

    private static async Task<JsonObject> GetJsonAsync(TestHub hub, string path, string token)
    {
        using var response = await GetAsync(hub, path, token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }
}
