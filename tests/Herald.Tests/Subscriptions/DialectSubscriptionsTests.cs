using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Subscriptions;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Subscriptions;

/// <summary>
/// Active subscriptions of both dialects on one hub: 1.0 subscriptions in the draft-08 shape
/// (<c>…/subscriptions/{matchType}/{match}/{subscriber}</c>, <c>matchType</c>/<c>match</c>) beside 0.x ones, events seen
/// by watchers of either dialect, and the routing of paths both shapes could mean.
/// </summary>
public class DialectSubscriptionsTests
{
    private const string Api = TestHub.HubPath + "/subscriptions";

    private static Task<TestHub> StartAsync() => TestHub.StartAsync(o =>
    {
        o.Protocol = HeraldProtocol.Both;
        AccessTokens.Configure(o);
        o.Subscriptions = true;
    });

    [Fact]
    public void A_1_0_event_is_the_drafts_example()
    {
        // Draft-08, "Subscription Events": the example, with @context as the events carry it.
        const string example = """
            {
               "@context": "https://mercure.rocks/",
               "id": "/.well-known/mercure/subscriptions/URLPattern/https%3A%2F%2Fexample.com%2F%3Aselector/urn%3Auuid%3Abb3de268-05b0-4c65-b44e-8f9acefc29d6",
               "type": "Subscription",
               "matchType": "URLPattern",
               "match": "https://example.com/:selector",
               "subscriber": "urn:uuid:bb3de268-05b0-4c65-b44e-8f9acefc29d6",
               "active": true,
               "payload": {"foo": "bar"}
            }
            """;
        using var payload = JsonDocument.Parse("""{"foo": "bar"}""");
        var subscription = new ActiveSubscription("https://example.com/:selector", "urn:uuid:bb3de268-05b0-4c65-b44e-8f9acefc29d6", payload.RootElement.Clone(), "URLPattern");

        var data = SubscriptionJson.Event(subscription, active: true);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(example), JsonNode.Parse(data)), data);

        // Other nodes read it back from the event (the Redis ledger): the same subscription, same shape.
        var read = SubscriptionJson.TryRead(data)!;
        Assert.Equal(("https://example.com/:selector", "URLPattern", subscription.Id), (read.Topic, read.MatchType, read.Id));
        Assert.Null(SubscriptionJson.TryRead("""{"match":"x","matchType":"exact","subscriber":"s"}"""));
    }

    [Fact]
    public async Task Watchers_of_either_dialect_see_the_subscriptions_of_both()
    {
        await using var hub = await StartAsync();
        var admin = hub.SubscriberToken("*");
        await using var legacyWatcher = await hub.SubscribeAsync(["/.well-known/mercure/subscriptions/{type}/{match}/{subscriber}", SubscriptionPaths.EventsTemplate], admin);
        await using var v1Watcher = await OpenAsync(hub, Q("matchURLPattern", SubscriptionPaths.V1EventsPattern) + "&" + Q("matchURLPattern", "/.well-known/mercure/subscriptions/:topic/:subscriber"), admin);

        await using var v1 = await OpenAsync(hub, Q("matchURLPattern", "https://example.com/books/:id") + "&" + Q("match", "https://example.com/books/1") + "&" + Q("matchExact", "https://example.com/books/1"), hub.SubscriberToken());
        await using var legacy = await hub.SubscribeAsync(["https://example.com/books/{id}"]);

        foreach (var watcher in new[] { legacyWatcher, v1Watcher })
        {
            var pattern = await UntilAsync(watcher, d => d["match"]?.GetValue<string>() == "https://example.com/books/:id");
            Assert.Equal("URLPattern", pattern["matchType"]!.GetValue<string>());
            Assert.False(pattern.ContainsKey("topic"));
            var subscriber = pattern["subscriber"]!.GetValue<string>();
            Assert.Equal($"/.well-known/mercure/subscriptions/URLPattern/https%3A%2F%2Fexample.com%2Fbooks%2F%3Aid/{Uri.EscapeDataString(subscriber)}", pattern["id"]!.GetValue<string>());

            // match= and matchExact= with one value are one Exact subscription (the draft lets hubs deduplicate).
            var exact = await UntilAsync(watcher, d => d["matchType"]?.GetValue<string>() == "Exact");
            Assert.Equal("https://example.com/books/1", exact["match"]!.GetValue<string>());
            Assert.Equal(subscriber, exact["subscriber"]!.GetValue<string>());

            var old = await UntilAsync(watcher, d => d["topic"]?.GetValue<string>() == "https://example.com/books/{id}");
            Assert.False(old.ContainsKey("matchType"));
        }

        await v1.DisposeAsync();
        var closed = await UntilAsync(v1Watcher, d => d["match"]?.GetValue<string>() == "https://example.com/books/:id");
        Assert.False(closed["active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_api_answers_1_0_resources_in_the_drafts_shape_beside_0x_ones()
    {
        await using var hub = await StartAsync();
        var admin = hub.SubscriberToken("*");
        await using var watcher = await OpenAsync(hub, Q("matchURLPattern", SubscriptionPaths.V1EventsPattern), admin);
        await using var v1 = await OpenAsync(hub, Q("matchURLPattern", "https://example.com/:selector"), hub.SubscriberToken());
        await using var legacy = await hub.SubscribeAsync(["https://example.com/{selector}"]);
        var opened = await UntilAsync(watcher, d => d["match"]?.GetValue<string>() == "https://example.com/:selector");
        var subscriber = opened["subscriber"]!.GetValue<string>();
        await hub.WaitForStreamsAsync(3);

        var collectionPath = Api + "/URLPattern/" + Uri.EscapeDataString("https://example.com/:selector");
        using var collection = await GetAsync(hub, collectionPath, admin);
        var byMatch = await JsonAsync(collection);
        Assert.Equal("application/ld+json", collection.Content.Headers.ContentType!.MediaType);
        Assert.Equal("must-revalidate", collection.Headers.CacheControl!.ToString());
        Assert.Contains("rel=\"mercure\"", collection.Headers.GetValues("Link").Single());
        Assert.NotNull(collection.Headers.ETag);
        Assert.Equal("/.well-known/mercure/subscriptions/URLPattern/https%3A%2F%2Fexample.com%2F%3Aselector", byMatch["id"]!.GetValue<string>());
        Assert.Equal("Subscriptions", byMatch["type"]!.GetValue<string>());
        var listed = Assert.Single(byMatch["subscriptions"]!.AsArray())!;
        Assert.Equal(["id", "type", "matchType", "match", "subscriber", "active"], listed.AsObject().Select(p => p.Key));

        using var singleResponse = await GetAsync(hub, collectionPath + "/" + Uri.EscapeDataString(subscriber), admin);
        var single = await JsonAsync(singleResponse);
        Assert.Equal(opened["id"]!.GetValue<string>(), single["id"]!.GetValue<string>());
        Assert.Equal(["@context", "id", "type", "matchType", "match", "subscriber", "active", "lastEventID"], single.Select(p => p.Key));

        // The whole collection lists each subscription in its own dialect's shape.
        using var allResponse = await GetAsync(hub, Api, admin);
        var all = (await JsonAsync(allResponse))["subscriptions"]!.AsArray();
        Assert.Contains(all, s => s!["matchType"]?.GetValue<string>() == "URLPattern" && s["match"]!.GetValue<string>() == "https://example.com/:selector");
        Assert.Contains(all, s => s!["topic"]?.GetValue<string>() == "https://example.com/{selector}");

        // The 0.x route for the same pattern text as a topic does not list the 1.0 subscription.
        using var legacyResponse = await GetAsync(hub, Api + "/" + Uri.EscapeDataString("https://example.com/:selector"), admin);
        Assert.Empty((await JsonAsync(legacyResponse))["subscriptions"]!.AsArray());

        // An unchanged list answers 304 to its ETag.
        using var again = new HttpRequestMessage(HttpMethod.Get, collectionPath);
        again.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        again.Headers.IfNoneMatch.Add(collection.Headers.ETag!);
        using var notModified = await hub.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task Paths_both_shapes_could_mean_are_routed_by_whether_the_first_segment_is_a_matcher_type()
    {
        await using var hub = await StartAsync();
        var admin = hub.SubscriberToken("*");
        await using var watcher = await hub.SubscribeAsync(["*"], admin);

        // A 0.x subscription to the topic "Exact", and a 1.0 one whose match is "Exact".
        await using var legacy = await hub.SubscribeAsync(["Exact"]);
        await using var v1 = await OpenAsync(hub, "match=Exact", hub.SubscriberToken());
        var legacyId = (await UntilAsync(watcher, d => d["topic"]?.GetValue<string>() == "Exact"))["subscriber"]!.GetValue<string>();
        var v1Id = (await UntilAsync(watcher, d => d["match"]?.GetValue<string>() == "Exact"))["subscriber"]!.GetValue<string>();

        // One segment: no 1.0 resource is a bare type, so it is the 0.x collection of the topic "Exact".
        Assert.Equal(["Exact"], await TopicsAsync(hub, Api + "/Exact", admin, "topic"));

        // Two segments starting with a type: the 1.0 collection of (Exact, <the 0.x subscriber id>), empty; not the 0.x single.
        Assert.Empty(await TopicsAsync(hub, Api + "/Exact/" + Uri.EscapeDataString(legacyId), admin, "match"));

        // The 0.x single stays reachable with one letter of the topic percent-encoded (sent raw: System.Uri would
        // normalize %45 back to E).
        var head = System.Text.Encoding.ASCII.GetBytes($"GET {Api}/%45xact/{Uri.EscapeDataString(legacyId)} HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\nAuthorization: Bearer {admin}\r\nConnection: close\r\n\r\n");
        var escaped = await RawHttp.SendAsync(hub, head, []);
        Assert.Equal(200, escaped.Status);
        Assert.Equal("Exact", JsonNode.Parse(escaped.Body)!["topic"]!.GetValue<string>());

        // The 1.0 collection and single of match "Exact".
        Assert.Equal(["Exact"], await TopicsAsync(hub, Api + "/Exact/Exact", admin, "match"));
        using var single = await GetAsync(hub, Api + "/Exact/Exact/" + Uri.EscapeDataString(v1Id), admin);
        Assert.Equal("Exact", (await JsonAsync(single))["matchType"]!.GetValue<string>());

        // Type names are case-sensitive: "exact" is a 0.x topic, and three segments are no 0.x resource.
        using var lower = await GetAsync(hub, Api + "/exact/Exact/" + Uri.EscapeDataString(v1Id), admin);
        await lower.AssertRefusedAsync(HttpStatusCode.NotFound);

        // A 1.0 single under the wrong type is not found.
        using var wrongType = await GetAsync(hub, Api + "/URLPattern/Exact/" + Uri.EscapeDataString(v1Id), admin);
        await wrongType.AssertRefusedAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Reading_a_1_0_resource_needs_a_grant_on_its_relative_path()
    {
        await using var hub = await StartAsync();
        var path = Api + "/URLPattern/" + Uri.EscapeDataString("https://example.com/:selector");
        using var ungranted = await GetAsync(hub, path, hub.SubscriberToken("https://example.com/{id}"));
        await ungranted.AssertRefusedAsync(HttpStatusCode.Forbidden);
        using var granted = await GetAsync(hub, path, hub.SubscriberToken("/.well-known/mercure/subscriptions/{type}/{match}"));
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
    }

    private static string Q(string name, string value) => name + "=" + Uri.EscapeDataString(value);

    private static Task<SseStream> OpenAsync(TestHub hub, string query, string token) =>
        SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, query, token, null);

    /// <summary>The next subscription event whose document satisfies <paramref name="wanted"/>, skipping the others.</summary>
    private static async Task<JsonObject> UntilAsync(SseStream stream, Func<JsonObject, bool> wanted)
    {
        while (true)
        {
            var item = await stream.NextAsync();
            if (JsonNode.Parse(item.Data) is JsonObject document && document["type"]?.GetValue<string>() == "Subscription" && wanted(document))
            {
                return document;
            }
        }
    }

    private static async Task<string[]> TopicsAsync(TestHub hub, string path, string token, string property)
    {
        using var response = await GetAsync(hub, path, token);
        return (await JsonAsync(response))["subscriptions"]!.AsArray().Select(s => s![property]!.GetValue<string>()).ToArray();
    }

    private static async Task<HttpResponseMessage> GetAsync(TestHub hub, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await hub.Client.SendAsync(request);
    }

    private static async Task<JsonObject> JsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }
}
