using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Herald.Auth;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Auth;

/// <summary>An issuer's JWK Set served by a real local server (<see cref="Upstream"/>): fetch, cache, rotation, outage.</summary>
public class JwksTests
{
    private const string Topic = "https://example.com/books/1";

    [Fact]
    public async Task Rs256_and_es256_tokens_verify_with_the_fetched_set_which_is_fetched_once()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var jwks = await Serve(AccessTokens.Jwk(rsa, "rsa-1"), AccessTokens.Jwk(ec, "ec-1"));
        await using var hub = await StartHub(jwks);

        for (var i = 0; i < 3; i++)
        {
            using var byRsa = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(rsa, "rsa-1", i));
            Assert.Equal(HttpStatusCode.OK, byRsa.StatusCode);
            using var byEc = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(ec, "ec-1", i));
            Assert.Equal(HttpStatusCode.OK, byEc.StatusCode);
        }

        Assert.Equal(1, jwks.Requests);
    }

    [Fact]
    public async Task A_rotated_key_is_fetched_on_its_unknown_kid_at_most_once_per_interval()
    {
        using var first = RSA.Create(2048);
        using var next = RSA.Create(2048);
        await using var jwks = await Serve(AccessTokens.Jwk(first, "2026-01"));
        await using var hub = await StartHub(jwks, fakeTime: true);
        using (var before = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(first, "2026-01", 0, hub.Time)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        // The issuer rotates: the set now holds both keys. Right after a fetch, unknown kids wait for the rate limit.
        jwks.Body = Set(AccessTokens.Jwk(first, "2026-01"), AccessTokens.Jwk(next, "2026-02"));
        for (var i = 0; i < 10; i++)
        {
            using var early = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(next, "2026-02", i, hub.Time));
            Assert.Contains("kid", await early.AssertBearerAsync(HttpStatusCode.Unauthorized, "invalid_token"), StringComparison.Ordinal);
        }

        Assert.Equal(1, jwks.Requests);
        hub.Time!.Advance(JwksCache.MinRefreshInterval);
        using var after = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(next, "2026-02", 0, hub.Time));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, jwks.Requests);
    }

    [Fact]
    public async Task A_key_the_issuer_stops_publishing_stops_verifying_cached_tokens_too()
    {
        using var old = RSA.Create(2048);
        using var current = RSA.Create(2048);
        await using var jwks = await Serve(AccessTokens.Jwk(old, "old"), AccessTokens.Jwk(current, "current"));
        await using var hub = await StartHub(jwks, fakeTime: true);
        var token = Token(old, "old", 0, hub.Time);
        using (var first = await hub.PostAsync([new("topic", Topic), new("data", "x")], token))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        jwks.Body = Set(AccessTokens.Jwk(current, "current"));
        hub.Time!.Advance(JwksCache.MaxAge);
        // This request still passes (served from the old set) and starts the background refresh.
        using (var stale = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(current, "current", 1, hub.Time)))
        {
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        }

        await jwks.WaitForRequestsAsync(2);
        await Eventually(async () =>
        {
            using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);
            return response.StatusCode == HttpStatusCode.Unauthorized;
        });
    }

    [Fact]
    public async Task A_key_set_server_that_is_down_gives_503_with_retry_after_not_a_hang_or_a_401()
    {
        using var rsa = RSA.Create(2048);
        var jwks = await Serve(AccessTokens.Jwk(rsa, "k"));
        var uri = jwks.DocUrl;
        await jwks.DisposeAsync();
        await using var hub = await TestHub.StartAsync(o => Configure(o, uri));

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(rsa, "k", 0));

        var reason = await response.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Contains("could not be fetched", reason, StringComparison.Ordinal);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_key_set_server_that_never_answers_costs_a_request_at_most_the_fetch_timeout()
    {
        using var rsa = RSA.Create(2048);
        await using var jwks = await Serve(AccessTokens.Jwk(rsa, "k"));
        jwks.Answer = context => Task.Delay(Timeout.Infinite, context.RequestAborted);
        await using var hub = await StartHub(jwks);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(rsa, "k", 0)).WaitAsync(JwksCache.FetchTimeout * 2);

        await response.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task A_server_answering_errors_or_junk_gives_503_and_the_next_good_answer_is_used()
    {
        using var rsa = RSA.Create(2048);
        await using var jwks = await Serve(AccessTokens.Jwk(rsa, "k"));
        jwks.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return context.Response.WriteAsync("<html>not a key set</html>");
        };
        await using var hub = await StartHub(jwks, fakeTime: true);

        using (var junk = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(rsa, "k", 0, hub.Time)))
        {
            await junk.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable);
        }

        jwks.Answer = null;
        hub.Time!.Advance(JwksCache.FailedRetryInterval);
        using var good = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(rsa, "k", 1, hub.Time));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task The_last_good_set_keeps_serving_while_the_server_is_down()
    {
        using var rsa = RSA.Create(2048);
        await using var jwks = await Serve(AccessTokens.Jwk(rsa, "k"));
        await using var hub = await StartHub(jwks, fakeTime: true);
        using (var first = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(rsa, "k", 0, hub.Time)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        jwks.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        };
        hub.Time!.Advance(JwksCache.MaxAge);
        for (var i = 1; i < 4; i++)
        {
            using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], Token(rsa, "k", i, hub.Time));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public void Keys_herald_does_not_verify_are_skipped_from_the_set()
    {
        using var rsa = RSA.Create(2048);
        using var weak = RSA.Create(1024);
        var set = Set(
            AccessTokens.Jwk(rsa, "good"),
            AccessTokens.Jwk(weak, "too-short"),
            new JsonObject { ["kty"] = "oct", ["kid"] = "secret", ["k"] = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA" },
            new JsonObject { ["kty"] = "OKP", ["crv"] = "Ed25519", ["kid"] = "ed", ["x"] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
            new JsonObject { ["kty"] = "RSA", ["kid"] = "enc", ["use"] = "enc", ["n"] = "AQAB", ["e"] = "AQAB" },
            new JsonObject { ["kty"] = "EC", ["kid"] = "mismatch", ["crv"] = "P-256", ["alg"] = "ES384", ["x"] = "AA", ["y"] = "AA" },
            "not an object");

        var (keys, skipped, error) = JwksCache.Parse("issuer", System.Text.Encoding.UTF8.GetBytes(set));

        Assert.Null(error);
        Assert.Equal(["good"], keys!.Select(k => k.KeyId));
        Assert.Equal(6, skipped);
        Assert.Equal(["RS256"], keys![0].Algorithms);
    }

    private static string Token(AsymmetricAlgorithm key, string kid, int n, TimeProvider? time = null)
    {
        var claims = AccessTokens.Claims(time?.GetUtcNow(), AccessTokens.Detail(["publish"], ["*"]));
        claims["jti"] = $"{kid}-{n}";
        return AccessTokens.SignAsymmetric(key, claims, kid);
    }

    private static string Set(params JsonNode[] keys) => new JsonObject { ["keys"] = new JsonArray(keys) }.ToJsonString();

    private static async Task<Upstream> Serve(params JsonNode[] keys)
    {
        var upstream = await Upstream.StartAsync();
        upstream.Body = Set(keys);
        return upstream;
    }

    private static Task<TestHub> StartHub(Upstream jwks, bool fakeTime = false) =>
        TestHub.StartAsync(o => Configure(o, jwks.DocUrl), fakeTime);

    private static void Configure(HeraldOptions options, string jwksUri)
    {
        options.Resource = AccessTokens.Resource;
        options.Issuers.Add(new HeraldIssuer { Id = AccessTokens.Issuer, JwksUri = jwksUri });
    }

    /// <summary>Polls a condition that becomes true after background work the test cannot await directly.</summary>
    private static async Task Eventually(Func<Task<bool>> condition)
    {
        using var limit = new CancellationTokenSource(SseStream.WaitLimit);
        while (!await condition())
        {
            await Task.Delay(20, limit.Token);
        }
    }
}
