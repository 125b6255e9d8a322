using System.Net;
using System.Net.Http.Headers;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Auth;

public class AuthorizationMatrixTests
{
    private const string Topic = "https://example.com/books/1";
    private const string OtherKey = "another-secret-key-that-is-long-enough-for-hs256";
    private const string LongKey = "a-64-byte-secret-key-long-enough-for-hs512-0123456789abcdefghijk";

    public static TheoryData<string> InvalidTokenKinds => new()
    {
        "wrong-key",
        "expired",
        "not-yet-valid",
        "alg-none",
        "alg-none-with-signature",
        "malformed",
        "tampered-payload",
    };

    public static TheoryData<string> BadAuthorizationHeaders => new()
    {
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Token abc.def.ghi",
        "bearer-with-no-space",
    };

    [Theory]
    [MemberData(nameof(InvalidTokenKinds))]
    public async Task Publish_with_an_invalid_token_is_401_with_a_bearer_challenge(string kind)
    {
        await using var hub = await TestHub.StartAsync();
        var token = Forge(kind, publish: ["*"]);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);

        await AssertUnauthorizedAsync(response, token, kind);
    }

    [Theory]
    [MemberData(nameof(InvalidTokenKinds))]
    public async Task Subscribe_with_an_invalid_token_is_401_with_a_bearer_challenge(string kind)
    {
        await using var hub = await TestHub.StartAsync();
        var token = Forge(kind, subscribe: ["*"]);

        using var response = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        await AssertUnauthorizedAsync(response, token, kind);
    }

    [Theory]
    [MemberData(nameof(InvalidTokenKinds))]
    public async Task An_invalid_token_is_refused_even_on_an_anonymous_hub(string kind)
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        var token = Forge(kind, subscribe: ["*"]);

        using var response = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        await AssertUnauthorizedAsync(response, token, kind);
    }

    [Fact]
    public async Task Publish_without_a_token_is_401_with_a_bearer_challenge()
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.PostRawAsync(HubRequests.Form(("topic", Topic), ("data", "x")), token: null);

        await AssertUnauthorizedAsync(response, token: null, "no token");
    }

    [Fact]
    public async Task Subscribe_without_a_token_is_401_when_the_hub_is_not_anonymous()
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.GetRawAsync(HubRequests.TopicQuery(Topic));

        await AssertUnauthorizedAsync(response, token: null, "no token");
    }

    [Theory]
    [MemberData(nameof(BadAuthorizationHeaders))]
    public async Task Publish_with_a_non_bearer_authorization_header_is_401(string header)
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.PostRawAsync(
            HubRequests.Form(("topic", Topic), ("data", "x")),
            token: null,
            r => r.Headers.TryAddWithoutValidation("Authorization", header));

        await AssertUnauthorizedAsync(response, token: null, header);
    }

    [Theory]
    [MemberData(nameof(BadAuthorizationHeaders))]
    public async Task Subscribe_with_a_non_bearer_authorization_header_is_401_even_on_an_anonymous_hub(string header)
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);

        using var response = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.TryAddWithoutValidation("Authorization", header));

        await AssertUnauthorizedAsync(response, token: null, header);
    }

    [Fact]
    public async Task An_expired_token_is_refused_with_a_reason_naming_the_expiry()
    {
        await using var hub = await TestHub.StartAsync();
        var token = Tokens.Create(TestHub.Key, publish: ["*"], subscribe: ["*"], expires: DateTimeOffset.UtcNow.AddMinutes(-2));

        using var publish = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);
        using var subscribe = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        Assert.Contains("expire", await AssertUnauthorizedAsync(publish, token, "expired"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("expire", await AssertUnauthorizedAsync(subscribe, token, "expired"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_token_expired_moments_ago_is_refused_whatever_the_clock_skew()
    {
        // The skew tolerates issuers whose clocks run ahead (nbf); it never extends a token's life past exp.
        await using var hub = await TestHub.StartAsync(o => o.ClockSkew = TimeSpan.FromSeconds(30));
        var token = Tokens.Create(TestHub.Key, publish: ["*"], subscribe: ["*"], expires: DateTimeOffset.UtcNow.AddSeconds(-10));

        using var publish = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);
        using var subscribe = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        Assert.Equal(HttpStatusCode.Unauthorized, subscribe.StatusCode);
        Assert.Contains("expired", await AssertUnauthorizedAsync(publish, token, "expired"), StringComparison.Ordinal);
        Assert.Contains("expired", await AssertUnauthorizedAsync(subscribe, token, "expired"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_not_valid_before_a_time_within_the_clock_skew_is_accepted()
    {
        await using var hub = await TestHub.StartAsync();
        var token = Tokens.Create(TestHub.Key, publish: ["*"], notBefore: DateTimeOffset.UtcNow.AddSeconds(10));

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("HS256")]
    [InlineData("HS384")]
    [InlineData("HS512")]
    public async Task Hmac_tokens_of_every_accepted_size_publish_and_subscribe(string alg)
    {
        await using var hub = await TestHub.StartAsync(o => o.JwtKey = LongKey);
        var subscriber = Tokens.Create(LongKey, subscribe: [Topic], alg: alg);
        var publisher = Tokens.Create(LongKey, publish: [Topic], alg: alg);
        await using var stream = await hub.SubscribeAsync([Topic], subscriber);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "secret"), new("private", "on")], publisher);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("secret", (await stream.NextAsync()).Data);
    }

    [Theory]
    [InlineData("HS384")]
    [InlineData("HS512")]
    public async Task A_key_shorter_than_the_hash_is_refused_with_a_reason_naming_the_key_size_not_a_forgery(string alg)
    {
        await using var hub = await TestHub.StartAsync();
        var token = Tokens.Create(TestHub.Key, publish: ["*"], alg: alg);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);

        var reason = await AssertUnauthorizedAsync(response, token, alg);
        Assert.Contains("too short", reason);
        Assert.Contains(alg, reason);
    }

    [Fact]
    public async Task A_long_lived_token_without_exp_is_accepted()
    {
        await using var hub = await TestHub.StartAsync();
        var token = Tokens.Sign(TestHub.Key, """{"mercure":{"publish":["*"],"subscribe":["*"]}}""");
        await using var stream = await hub.SubscribeAsync([Topic], token);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "forever"), new("private", "on")], token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("forever", (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task Publishing_a_topic_the_token_does_not_grant_is_403_naming_the_topic()
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync(["*"], hub.SubscriberToken("*"));
        var token = Tokens.Create(TestHub.Key, publish: ["https://example.com/books/{id}"]);

        using var response = await hub.PostAsync([new("topic", "https://example.com/authors/7"), new("data", "forbidden")], token);

        var reason = await response.AssertRefusedAsync(HttpStatusCode.Forbidden);
        Assert.Contains("https://example.com/authors/7", reason);
        Assert.DoesNotContain(token, reason);
        Assert.DoesNotContain(await hub.EventsBeforeMarkerAsync(stream, Topic), e => e.Data == "forbidden");
    }

    [Fact]
    public async Task Every_topic_of_an_update_must_be_granted_including_alternates()
    {
        await using var hub = await TestHub.StartAsync();
        var token = Tokens.Create(TestHub.Key, publish: ["https://example.com/books/{id}"]);

        using var granted = await hub.PostAsync([new("topic", "https://example.com/books/1"), new("topic", "https://example.com/books/2"), new("data", "x")], token);
        using var oneUngranted = await hub.PostAsync([new("topic", "https://example.com/books/1"), new("topic", "https://example.com/authors/7"), new("data", "x")], token);

        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Contains("https://example.com/authors/7", await oneUngranted.AssertRefusedAsync(HttpStatusCode.Forbidden));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"mercure":{}}""")]
    [InlineData("""{"mercure":{"subscribe":["*"]}}""")]
    [InlineData("""{"mercure":{"publish":[]}}""")]
    public async Task A_token_without_publish_selectors_cannot_publish(string payload)
    {
        await using var hub = await TestHub.StartAsync();
        var token = Tokens.Sign(TestHub.Key, payload);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);

        var reason = await response.AssertRefusedAsync(HttpStatusCode.Forbidden);
        Assert.DoesNotContain(token, reason);
    }

    [Fact]
    public async Task A_subscriber_token_in_the_authorization_query_parameter_is_used()
    {
        await using var hub = await TestHub.StartAsync();
        var token = hub.SubscriberToken(Topic);
        using var client = hub.ClientWith(r => HubRequests.AddQuery(r, "authorization", token));
        await using var stream = await SseStream.OpenAsync(client, TestHub.HubPath, [Topic], token: null, lastEventId: null);

        await hub.PublishAsync(Topic, "private via query", isPrivate: true);

        Assert.Equal("private via query", (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task A_subscriber_token_in_the_mercureAuthorization_cookie_is_used()
    {
        await using var hub = await TestHub.StartAsync();
        var token = hub.SubscriberToken(Topic);
        using var client = hub.ClientWith(r => r.Headers.TryAddWithoutValidation("Cookie", "mercureAuthorization=" + token));
        await using var stream = await SseStream.OpenAsync(client, TestHub.HubPath, [Topic], token: null, lastEventId: null);

        await hub.PublishAsync(Topic, "private via cookie", isPrivate: true);

        Assert.Equal("private via cookie", (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task A_publisher_token_in_the_authorization_query_parameter_is_used()
    {
        await using var hub = await TestHub.StartAsync();
        var token = hub.PublisherToken(Topic);
        using var client = hub.ClientWith(r => HubRequests.AddQuery(r, "authorization", token));

        using var response = await client.PostAsync(TestHub.HubPath, HubRequests.Form(("topic", Topic), ("data", "x")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_publisher_token_in_the_mercureAuthorization_cookie_is_used()
    {
        // A cookie-authenticated publish must come from a listed origin (CSRF); missing and foreign origins: CookieAndCorsTests.
        await using var hub = await TestHub.StartAsync(o => o.PublishOrigins = ["https://app.example.com"]);
        var token = hub.PublisherToken(Topic);
        using var client = hub.ClientWith(r =>
        {
            r.Headers.TryAddWithoutValidation("Cookie", "mercureAuthorization=" + token);
            r.Headers.TryAddWithoutValidation("Origin", "https://app.example.com");
        });

        using var response = await client.PostAsync(TestHub.HubPath, HubRequests.Form(("topic", Topic), ("data", "x")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_invalid_cookie_token_is_refused_rather_than_ignored()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        var token = Tokens.Create(OtherKey, subscribe: ["*"]);
        using var client = hub.ClientWith(r => r.Headers.TryAddWithoutValidation("Cookie", "mercureAuthorization=" + token));

        using var response = await client.GetAsync(TestHub.HubPath + "?" + HubRequests.TopicQuery(Topic), HttpCompletionOption.ResponseHeadersRead);

        await AssertUnauthorizedAsync(response, token, "wrong-key cookie");
    }

    [Fact]
    public async Task An_anonymous_subscriber_receives_public_updates_only()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        await using var stream = await hub.SubscribeAsync([Topic], anonymous: true);

        var privateId = await hub.PublishAsync(Topic, "private", isPrivate: true);
        var publicId = await hub.PublishAsync(Topic, "public");

        var item = await stream.NextAsync();
        Assert.Equal("public", item.Data);
        Assert.Equal(publicId, item.EventId);
        Assert.DoesNotContain(privateId, stream.RawText);
    }

    [Fact]
    public async Task An_anonymous_hub_still_requires_a_token_to_publish()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);

        using var response = await hub.PostRawAsync(HubRequests.Form(("topic", Topic), ("data", "x")), token: null);

        await AssertUnauthorizedAsync(response, token: null, "no token");
    }

    [Fact]
    public async Task With_separate_keys_a_subscriber_key_token_cannot_publish()
    {
        const string publisherKey = "publisher-only-secret-key-long-enough-for-hs256";
        const string subscriberKey = "subscriber-only-secret-key-long-enough-for-hs256";
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.JwtKey = null;
            o.PublisherKey = publisherKey;
            o.SubscriberKey = subscriberKey;
        });
        var subscriberKeyed = Tokens.Create(subscriberKey, publish: ["*"], subscribe: ["*"]);
        var publisherKeyed = Tokens.Create(publisherKey, publish: ["*"], subscribe: ["*"]);

        using var publishWithSubscriberKey = await hub.PostAsync([new("topic", Topic), new("data", "x")], subscriberKeyed);
        using var subscribeWithPublisherKey = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", publisherKeyed));

        var reasons = new[]
        {
            await AssertUnauthorizedAsync(publishWithSubscriberKey, subscriberKeyed, "subscriber key on publish"),
            await AssertUnauthorizedAsync(subscribeWithPublisherKey, publisherKeyed, "publisher key on subscribe"),
        };
        foreach (var reason in reasons)
        {
            Assert.DoesNotContain(publisherKey, reason);
            Assert.DoesNotContain(subscriberKey, reason);
        }

        await using var stream = await hub.SubscribeAsync([Topic], subscriberKeyed);
        using var published = await hub.PostAsync([new("topic", Topic), new("data", "split keys"), new("private", "on")], publisherKeyed);
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        Assert.Equal("split keys", (await stream.NextAsync()).Data);
    }

    private static string Forge(string kind, string[]? publish = null, string[]? subscribe = null)
    {
        var now = DateTimeOffset.UtcNow;
        return kind switch
        {
            "wrong-key" => Tokens.Create(OtherKey, publish, subscribe),
            "expired" => Tokens.Create(TestHub.Key, publish, subscribe, expires: now.AddSeconds(-31 - 60)),
            "not-yet-valid" => Tokens.Create(TestHub.Key, publish, subscribe, notBefore: now.AddMinutes(5)),
            "alg-none" => Tokens.Create(TestHub.Key, publish, subscribe, alg: "none"),
            "alg-none-with-signature" => WithHeaderAlg(Tokens.Create(TestHub.Key, publish, subscribe), "none"),
            "malformed" => "not-a-jwt",
            "tampered-payload" => TamperPayload(Tokens.Create(TestHub.Key, publish: [Topic], subscribe: [Topic]), publish, subscribe),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    /// <summary>Keeps the HS256 signature but claims <c>alg: none</c> in the header.</summary>
    private static string WithHeaderAlg(string token, string alg)
    {
        var parts = token.Split('.');
        parts[0] = Base64Url(System.Text.Json.JsonSerializer.Serialize(new { alg, typ = "JWT" }));
        return string.Join('.', parts);
    }

    /// <summary>Swaps in a more generous payload while keeping the original signature.</summary>
    private static string TamperPayload(string token, string[]? publish, string[]? subscribe)
    {
        var parts = token.Split('.');
        var forged = Tokens.Create(OtherKey, publish, subscribe).Split('.');
        return parts[0] + "." + forged[1] + "." + parts[2];
    }

    private static string Base64Url(string text) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<string> AssertUnauthorizedAsync(HttpResponseMessage response, string? token, string because)
    {
        var reason = await response.AssertRefusedAsync(HttpStatusCode.Unauthorized);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.True(challenge.StartsWith("Bearer", StringComparison.Ordinal), $"{because}: WWW-Authenticate was \"{challenge}\"");
        Assert.DoesNotContain(TestHub.Key, reason);
        Assert.DoesNotContain(OtherKey, reason);
        if (token is { Length: > 0 })
        {
            Assert.DoesNotContain(token, reason);
            foreach (var part in token.Split('.').Where(p => p.Length > 8))
            {
                Assert.DoesNotContain(part, reason);
            }
        }

        return reason;
    }
}
