using System.Net;
using System.Net.Http.Headers;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

/// <summary>
/// Both Mercure dialects on one hub, decided per request (Protocol=Both): <c>match</c> parameters make a 1.0
/// subscription, <c>topic</c> a 0.x one, and both kinds share the index and the dispatcher.
/// </summary>
public class DialectSubscribeTests
{
    private static Task<TestHub> StartAsync(HeraldProtocol protocol = HeraldProtocol.Both, Action<HeraldOptions>? configure = null) =>
        TestHub.StartAsync(o =>
        {
            o.Protocol = protocol;
            if (protocol != HeraldProtocol.Legacy)
            {
                AccessTokens.Configure(o);
            }
            configure?.Invoke(o);
        });

    private static Task<SseStream> MatchAsync(TestHub hub, string query, string? token = null, string? lastEventId = null) =>
        SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, query, token ?? hub.SubscriberToken(), lastEventId);

    private static string Q(string name, string value) => name + "=" + Uri.EscapeDataString(value);

    [Fact]
    public async Task A_0x_publish_reaches_1_0_exact_pattern_and_wildcard_subscribers_beside_a_0x_one()
    {
        await using var hub = await StartAsync();
        await using var exact = await MatchAsync(hub, Q("match", "https://example.com/books/1"));
        await using var explicitExact = await MatchAsync(hub, Q("matchExact", "https://example.com/books/1"));
        await using var pattern = await MatchAsync(hub, Q("matchURLPattern", "https://example.com/books/:id"));
        await using var wildcard = await MatchAsync(hub, Q("matchURLPattern", "*"));
        await using var legacy = await hub.SubscribeAsync(["https://example.com/books/{id}"]);

        await hub.PublishAsync("https://example.com/books/1", "one");
        foreach (var stream in new[] { exact, explicitExact, pattern, wildcard, legacy })
        {
            Assert.Equal("one", (await stream.NextAsync()).Data);
        }

        // Not matched: the exact ones skip books/2, the pattern skips a deeper path; all see the marker they match.
        await hub.PublishAsync("https://example.com/books/1/pages/2", "deeper");
        await hub.PublishAsync("https://example.com/books/2", "two");
        Assert.Equal("two", (await pattern.NextAsync()).Data);
        Assert.Equal("deeper", (await wildcard.NextAsync()).Data);
        Assert.Equal("two", (await wildcard.NextAsync()).Data);
        Assert.Equal("two", (await legacy.NextAsync()).Data);
        await hub.PublishAsync("https://example.com/books/1", "again");
        Assert.Equal("again", (await exact.NextAsync()).Data);
        Assert.Equal("again", (await explicitExact.NextAsync()).Data);
    }

    [Fact]
    public async Task An_exact_matcher_is_byte_for_byte_even_with_braces_and_relative_values()
    {
        await using var hub = await StartAsync();
        await using var braces = await MatchAsync(hub, Q("match", "https://example.com/books/{id}"));
        await using var relative = await MatchAsync(hub, Q("match", "books/1"));

        // A 0.x template would match books/1; a 1.0 exact matcher only the literal text.
        await hub.PublishAsync("https://example.com/books/1", "expanded");
        await hub.PublishAsync("https://example.com/books/{id}", "literal");
        Assert.Equal("literal", (await braces.NextAsync()).Data);

        // Not resolved against the hub's URL: the absolute form is another topic.
        await hub.PublishAsync(new Uri(hub.HubUrl, "books/1").ToString(), "absolute");
        await hub.PublishAsync("books/1", "relative");
        Assert.Equal("relative", (await relative.NextAsync()).Data);
    }

    [Fact]
    public async Task A_relative_url_pattern_is_resolved_against_the_hub_url()
    {
        await using var hub = await StartAsync();
        await using var stream = await MatchAsync(hub, Q("matchURLPattern", "/books/:id"));
        await hub.PublishAsync("https://elsewhere.example/books/1", "other host");
        await hub.PublishAsync("/books/7", "relative topic");
        await hub.PublishAsync(new Uri(hub.BaseAddress, "/books/8").ToString(), "absolute on the hub");
        Assert.Equal("relative topic", (await stream.NextAsync()).Data);
        Assert.Equal("absolute on the hub", (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task Private_updates_reach_a_1_0_subscriber_only_where_its_token_allows()
    {
        await using var hub = await StartAsync();
        await using var allowed = await MatchAsync(hub, Q("matchURLPattern", "https://example.com/books/:id"), hub.SubscriberToken("https://example.com/books/1"));
        await using var stranger = await MatchAsync(hub, Q("matchURLPattern", "https://example.com/books/:id"), hub.SubscriberToken("https://example.com/books/9"));

        await hub.PublishAsync("https://example.com/books/1", "secret", isPrivate: true);
        await hub.PublishAsync("https://example.com/books/2", "public");
        Assert.Equal("secret", (await allowed.NextAsync()).Data);
        Assert.Equal("public", (await allowed.NextAsync()).Data);
        Assert.Equal("public", (await stranger.NextAsync()).Data);
    }

    [Fact]
    public async Task Topic_and_match_in_one_request_are_refused_with_400()
    {
        await using var hub = await StartAsync();
        using var both = await hub.GetRawAsync("topic=x&match=x", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hub.SubscriberToken()));
        Assert.Contains("not both", await both.AssertRefusedAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Each_hub_refuses_the_dialect_it_does_not_speak_with_400_and_says_which_it_speaks()
    {
        await using (var legacy = await StartAsync(HeraldProtocol.Legacy))
        {
            using var refused = await legacy.GetRawAsync("match=x", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", legacy.SubscriberToken()));
            Assert.Contains("Mercure 0.x only", await refused.AssertRefusedAsync(HttpStatusCode.BadRequest));
            await using var stream = await legacy.SubscribeAsync(["x"]);
        }

        await using var v1 = await StartAsync(HeraldProtocol.V1);
        using var topic = await v1.GetRawAsync("topic=x", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", v1.SubscriberToken()));
        Assert.Contains("Mercure 1.0 only", await topic.AssertRefusedAsync(HttpStatusCode.BadRequest));
        using var none = await v1.GetRawAsync("", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", v1.SubscriberToken()));
        Assert.Contains("match=", await none.AssertRefusedAsync(HttpStatusCode.BadRequest));
        await using var matched = await MatchAsync(v1, "match=x");
        await v1.PublishAsync("x", "v1");
        Assert.Equal("v1", (await matched.NextAsync()).Data);
    }

    [Fact]
    public async Task Matchers_over_the_hubs_limits_are_refused_before_any_pattern_is_built()
    {
        await using var hub = await StartAsync(configure: o =>
        {
            o.MaxTemplatesPerSubscription = 2;
            o.MaxTemplateLength = 40;
            o.MaxTopicLength = 30;
        });
        Action<HttpRequestMessage> auth = r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hub.SubscriberToken());

        var three = string.Join('&', Enumerable.Range(0, 3).Select(i => Q("matchURLPattern", $"https://example.com/{i}/:id")));
        using var tooMany = await hub.GetRawAsync(three, auth);
        Assert.Contains("more than 2 URL patterns", await tooMany.AssertRefusedAsync(HttpStatusCode.BadRequest));

        using var longPattern = await hub.GetRawAsync(Q("matchURLPattern", "https://example.com/" + new string('a', 30) + "/:id"), auth);
        Assert.Contains("(MaxTemplateLength)", await longPattern.AssertRefusedAsync(HttpStatusCode.BadRequest));

        using var longExact = await hub.GetRawAsync(Q("match", new string('é', 31)), auth);
        Assert.Contains("(MaxTopicLength)", await longExact.AssertRefusedAsync(HttpStatusCode.BadRequest));

        using var unknown = await hub.GetRawAsync("match_exact=x", auth);
        Assert.Contains("unknown matcher parameter \"match_exact\"", await unknown.AssertRefusedAsync(HttpStatusCode.BadRequest));

        // Exact matchers are not patterns: many of them pass (up to MaxTopics and the draft's 100).
        var exacts = string.Join('&', Enumerable.Range(0, 10).Select(i => Q("match", $"t{i}")));
        await using var stream = await MatchAsync(hub, exacts + "&" + Q("matchURLPattern", "https://example.com/:a") + "&" + Q("matchURLPattern", "*"));
    }

    [Fact]
    public async Task A_long_poll_speaks_1_0_too_and_resolves_relative_patterns_against_the_hub_not_the_poll_path()
    {
        await using var hub = await StartAsync();
        var id = await hub.PublishAsync("/.well-known/books/1", "before");
        await hub.PublishAsync("/.well-known/books/2", "relative");
        var answer = await hub.PollAsync(Q("matchURLPattern", "books/:id") + "&timeout=0&lastEventID=" + Uri.EscapeDataString(id), hub.SubscriberToken());
        Assert.Equal(["relative"], answer.Data);

        using var both = await hub.PollRawAsync("topic=x&match=x&timeout=0", hub.SubscriberToken());
        await both.AssertRefusedAsync(HttpStatusCode.BadRequest);
    }
}
