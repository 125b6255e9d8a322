using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Auth;

/// <summary>Mercure 1.0 access tokens against the real hub (draft-08 "Authorization"): validation and grants.</summary>
public class AccessTokenTests
{
    private const string Book1 = "https://example.com/books/1";
    private const string Book2 = "https://example.com/books/2";

    [Fact]
    public async Task A_publish_grant_publishes_and_a_missing_one_is_403_insufficient_scope()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        var token = AccessTokens.Publisher(Book1, "~https://example.com/authors/:id");

        using var granted = await hub.PostAsync([new("topic", Book1), new("data", "x")], token);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        using var byPattern = await hub.PostAsync([new("topic", "https://example.com/authors/7"), new("data", "x")], token);
        Assert.Equal(HttpStatusCode.OK, byPattern.StatusCode);

        using var refused = await hub.PostAsync([new("topic", Book2), new("data", "x")], token);
        var reason = await refused.AssertBearerAsync(HttpStatusCode.Forbidden, "insufficient_scope", token);
        Assert.Contains("publish grant", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_subscribe_only_token_cannot_publish()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        var token = AccessTokens.Subscriber("*");

        using var response = await hub.PostAsync([new("topic", Book1), new("data", "x")], token);

        await response.AssertBearerAsync(HttpStatusCode.Forbidden, "insufficient_scope", token);
    }

    [Fact]
    public async Task Private_updates_reach_only_topics_the_token_grants_subscribe_on_whatever_the_routing()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        // Routing asks for every book; the token grants book 1 only (the draft's own example).
        await using var stream = await hub.SubscribeAsync(["https://example.com/books/{id}"], AccessTokens.Subscriber(Book1));

        await hub.PublishAsync(Book2, "private-2", isPrivate: true);
        await hub.PublishAsync(Book1, "private-1", isPrivate: true);
        await hub.PublishAsync(Book2, "public-2");

        var events = await stream.ReadUntilDataAsync("public-2");
        Assert.Equal(["private-1", "public-2"], events.Select(e => e.Data));
    }

    [Fact]
    public async Task Url_pattern_and_wildcard_subscribe_grants_match_as_the_draft_says()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        await using var pattern = await hub.SubscribeAsync(["*"], AccessTokens.Subscriber("~https://example.com/books/:id"));
        await using var wildcard = await hub.SubscribeAsync(["*"], AccessTokens.Sign(AccessTokens.Claims(null,
            new JsonObject { ["type"] = AccessTokens.DetailType, ["actions"] = new JsonArray("subscribe"), ["topics"] = new JsonArray(new JsonObject { ["match"] = "*", ["match_type"] = "URLPattern" }) })));

        await hub.PublishAsync("https://example.com/authors/1", "author", isPrivate: true);
        await hub.PublishAsync(Book2, "book", isPrivate: true);
        await hub.PublishAsync(Book1, "end");

        Assert.Equal(["book", "end"], (await pattern.ReadUntilDataAsync("end")).Select(e => e.Data));
        Assert.Equal(["author", "book", "end"], (await wildcard.ReadUntilDataAsync("end")).Select(e => e.Data));
    }

    [Fact]
    public async Task The_drafts_spelling_of_the_detail_type_and_matchType_is_accepted_too()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        var detail = new JsonObject
        {
            ["type"] = "mercure",
            ["actions"] = new JsonArray("publish"),
            ["topics"] = new JsonArray(new JsonObject { ["match"] = "https://example.com/books/:id", ["matchType"] = "URLPattern" }),
        };

        using var response = await hub.PostAsync([new("topic", Book2), new("data", "x")], AccessTokens.Sign(AccessTokens.Claims(null, detail)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Aud_may_be_an_array_and_typ_the_full_media_type()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        var claims = AccessTokens.Claims(null, AccessTokens.Detail(["publish"], ["*"]));
        claims["aud"] = new JsonArray("https://some-other-api.example.com", AccessTokens.Resource);

        using var response = await hub.PostAsync([new("topic", Book1), new("data", "x")], AccessTokens.Sign(claims, typ: "application/at+jwt"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Details_of_other_types_are_skipped_and_grant_nothing()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        var other = new JsonObject { ["type"] = "payment_initiation", ["actions"] = new JsonArray("publish"), ["topics"] = new JsonArray(new JsonObject { ["match"] = "*" }) };
        var token = AccessTokens.Sign(AccessTokens.Claims(null, other));

        using var response = await hub.PostAsync([new("topic", Book1), new("data", "x")], token);

        await response.AssertBearerAsync(HttpStatusCode.Forbidden, "insufficient_scope", token);
    }

    public static TheoryData<string, string> InvalidTokens => new()
    {
        { "no-typ", "typ" },
        { "jwt-typ", "typ" },
        { "no-exp", "exp" },
        { "expired", "expired" },
        { "not-yet-valid", "not valid before" },
        { "no-aud", "aud" },
        { "foreign-aud", "aud" },
        { "aud-not-string", "well-formed" },
        { "iss-with-trailing-slash", "iss" },
        { "no-iss", "iss" },
        { "wrong-key", "signature" },
        { "alg-none", "algorithm" },
        { "details-not-array", "authorization_details" },
        { "detail-not-object", "authorization_details[0]" },
        { "detail-without-type", "type" },
        { "no-actions", "actions" },
        { "empty-actions", "actions" },
        { "unknown-action", "actions" },
        { "no-topics", "topics" },
        { "empty-topics", "topics" },
        { "topic-not-object", "topic matcher" },
        { "match-not-string", "match" },
        { "empty-match", "empty" },
        { "control-char-match", "control" },
        { "unknown-match-type", "matcher type" },
        { "lowercase-wrong-match-type", "matcher type" },
        { "both-match-type-spellings", "both" },
        { "invalid-url-pattern", "URL pattern" },
        { "payload-not-object", "payload" },
        { "one-bad-detail-among-good", "authorization_details[1]" },
        { "too-many-details", "details" },
        { "too-many-matchers", "matchers" },
        { "too-many-url-patterns", "URL patterns" },
        { "match-too-long", "bytes" },
    };

    [Theory]
    [MemberData(nameof(InvalidTokens))]
    public async Task Every_invalid_access_token_is_401_invalid_token_for_both_roles(string kind, string expected)
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        var token = Forge(kind);

        using var publish = await hub.PostAsync([new("topic", Book1), new("data", "x")], token);
        var reason = await publish.AssertBearerAsync(HttpStatusCode.Unauthorized, "invalid_token", token);
        Assert.Contains(expected, reason, StringComparison.Ordinal);

        using var subscribe = await hub.GetRawAsync(HubRequests.TopicQuery(Book1), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));
        await subscribe.AssertBearerAsync(HttpStatusCode.Unauthorized, "invalid_token", token);
    }

    [Fact]
    public async Task No_token_is_401_with_a_challenge_without_error_code_pointing_at_the_metadata()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);

        using var response = await hub.PostRawAsync(HubRequests.Form(("topic", Book1)), token: null);

        await response.AssertBearerAsync(HttpStatusCode.Unauthorized, error: null);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Contains("resource_metadata=\"https://hub.example.com/.well-known/oauth-protected-resource/.well-known/mercure\"", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hub_without_issuers_refuses_at_jwt_tokens_and_keeps_serving_legacy_ones()
    {
        await using var hub = await TestHub.StartAsync();

        using var v1 = await hub.PostAsync([new("topic", Book1), new("data", "x")], AccessTokens.Publisher("*"));
        Assert.Contains("not an issuer this hub trusts", await v1.AssertBearerAsync(HttpStatusCode.Unauthorized, "invalid_token"), StringComparison.Ordinal);

        using var legacy = await hub.PostAsync([new("topic", Book1), new("data", "x")]);
        Assert.Equal(HttpStatusCode.OK, legacy.StatusCode);
    }

    [Fact]
    public async Task Legacy_tokens_keep_working_on_a_hub_with_issuers()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        await using var stream = await hub.SubscribeAsync([Book1], hub.SubscriberToken(Book1));

        await hub.PublishAsync(Book1, "legacy-private", isPrivate: true);

        Assert.Equal("legacy-private", (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task A_cached_access_token_still_expires_and_is_still_refused_from_the_url()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure, fakeTime: true);
        var token = AccessTokens.Sign(AccessTokens.Claims(hub.Time!.GetUtcNow(), AccessTokens.Detail(["publish"], ["*"])));
        using (var first = await hub.PostAsync([new("topic", Book1), new("data", "x")], token))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var fromQuery = await hub.PostRawAsync(HubRequests.Form(("topic", Book1)), null, r => r.RequestUri = new Uri(hub.HubUrl + "?authorization=" + token)))
        {
            await fromQuery.AssertBearerAsync(HttpStatusCode.BadRequest, "invalid_request", token);
        }

        hub.Time.Advance(TimeSpan.FromHours(1));
        using var expired = await hub.PostAsync([new("topic", Book1), new("data", "x")], token);
        Assert.Contains("expired", await expired.AssertBearerAsync(HttpStatusCode.Unauthorized, "invalid_token", token), StringComparison.Ordinal);
    }

    private static string Forge(string kind)
    {
        var good = AccessTokens.Detail(["publish", "subscribe"], ["*"]);
        var claims = AccessTokens.Claims(null, good);
        JsonArray Details(params JsonNode[] details) => new(details);
        JsonObject WithTopics(params JsonNode[] topics) => new() { ["type"] = AccessTokens.DetailType, ["actions"] = new JsonArray("publish"), ["topics"] = new JsonArray(topics) };
        switch (kind)
        {
            case "no-typ":
                return AccessTokens.Sign(claims, typ: null);
            case "jwt-typ":
                return AccessTokens.Sign(claims, typ: "JWT");
            case "no-exp":
                claims.Remove("exp");
                break;
            case "expired":
                claims["exp"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds();
                break;
            case "not-yet-valid":
                claims["nbf"] = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
                break;
            case "no-aud":
                claims.Remove("aud");
                break;
            case "foreign-aud":
                claims["aud"] = "https://other-hub.example.com/.well-known/mercure";
                break;
            case "aud-not-string":
                claims["aud"] = new JsonObject { ["resource"] = AccessTokens.Resource };
                break;
            case "iss-with-trailing-slash":
                claims["iss"] = AccessTokens.Issuer + "/";
                break;
            case "no-iss":
                claims.Remove("iss");
                break;
            case "wrong-key":
                return AccessTokens.Sign(claims, key: AccessTokens.OtherIssuerKey);
            case "alg-none":
            {
                var signed = AccessTokens.Sign(claims).Split('.');
                return RawTokens.Base64Url("{\"alg\":\"none\",\"typ\":\"at+jwt\"}"u8.ToArray()) + "." + signed[1] + ".";
            }

            case "details-not-array":
                claims["authorization_details"] = good.DeepClone();
                break;
            case "detail-not-object":
                claims["authorization_details"] = Details("publish");
                break;
            case "detail-without-type":
                good.Remove("type");
                break;
            case "no-actions":
                good.Remove("actions");
                break;
            case "empty-actions":
                good["actions"] = new JsonArray();
                break;
            case "unknown-action":
                good["actions"] = new JsonArray("publish", "admin");
                break;
            case "no-topics":
                good.Remove("topics");
                break;
            case "empty-topics":
                good["topics"] = new JsonArray();
                break;
            case "topic-not-object":
                good["topics"] = new JsonArray("https://example.com/books/1");
                break;
            case "match-not-string":
                good["topics"] = new JsonArray(new JsonObject { ["match"] = 42 });
                break;
            case "empty-match":
                good["topics"] = new JsonArray(new JsonObject { ["match"] = "" });
                break;
            case "control-char-match":
                good["topics"] = new JsonArray(new JsonObject { ["match"] = "https://example.com/\u001b[31m" });
                break;
            case "unknown-match-type":
                good["topics"] = new JsonArray(new JsonObject { ["match"] = "https://example.com/{id}", ["match_type"] = "UriTemplate" });
                break;
            case "lowercase-wrong-match-type":
                good["topics"] = new JsonArray(new JsonObject { ["match"] = "https://example.com/:id", ["match_type"] = "URLPATTERN" });
                break;
            case "both-match-type-spellings":
                good["topics"] = new JsonArray(new JsonObject { ["match"] = "https://example.com/:id", ["match_type"] = "URLPattern", ["matchType"] = "URLPattern" });
                break;
            case "invalid-url-pattern":
                good["topics"] = new JsonArray(new JsonObject { ["match"] = "https://example.com/(unclosed", ["match_type"] = "URLPattern" });
                break;
            case "payload-not-object":
                good["payload"] = "a string";
                break;
            case "one-bad-detail-among-good":
                claims["authorization_details"] = Details(good.DeepClone(), WithTopics(new JsonObject { ["match"] = "x", ["match_type"] = "Regex" }));
                break;
            case "too-many-details":
                claims["authorization_details"] = Details(Enumerable.Range(0, 101).Select(i => (JsonNode)WithTopics(new JsonObject { ["match"] = $"t{i}" })).ToArray());
                break;
            case "too-many-matchers":
                claims["authorization_details"] = Details(WithTopics(Enumerable.Range(0, 1001).Select(i => (JsonNode)new JsonObject { ["match"] = $"t{i}" }).ToArray()));
                break;
            case "too-many-url-patterns":
                claims["authorization_details"] = Details(WithTopics(Enumerable.Range(0, 101).Select(i => (JsonNode)new JsonObject { ["match"] = $"/p{i}/:id", ["match_type"] = "URLPattern" }).ToArray()));
                break;
            case "match-too-long":
                good["topics"] = new JsonArray(new JsonObject { ["match"] = "https://example.com/" + new string('é', 2100) });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }

        return AccessTokens.Sign(claims);
    }
}
