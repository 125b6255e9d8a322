using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Auth;

/// <summary>
/// Issue 24's downgrade matrix: each way of passing a token off as the other dialect, or a token where its dialect may
/// not come from, is refused — for publishing and for subscribing, and never answered as anonymous.
/// </summary>
public class DowngradeMatrixTests
{
    private const string Topic = "https://example.com/books/1";

    public static TheoryData<string> Cases => new()
    {
        "v1-token-in-authorization-query",
        "v1-token-in-access_token-query",
        "v1-token-in-legacy-cookie",
        "legacy-token-in-v1-cookie",
        "legacy-token-claiming-at+jwt",
        "oidc-id-token-from-configured-issuer",
        "signed-by-one-issuer-claiming-another",
        "v1-token-without-exp",
        "v1-token-with-foreign-aud",
        "legacy-token-with-forged-authorization_details",
        "v1-token-signed-with-the-legacy-key",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_downgrade_is_refused_for_publishers(string kind)
    {
        await using var hub = await TestHub.StartAsync(o =>
        {
            AccessTokens.Configure(o);
            o.PublishOrigins = ["*"];
        });
        var (token, place, status, error) = Case(kind, publish: true);
        using var client = ClientFor(hub, token, place);
        using var request = new HttpRequestMessage(HttpMethod.Post, TestHub.HubPath) { Content = HubRequests.Form(("topic", Topic), ("data", "x")) };
        request.Headers.Add("Origin", "https://app.example.com");

        using var response = await client.SendAsync(request);

        await response.AssertBearerAsync(status, error, token);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_downgrade_is_refused_for_subscribers_even_on_an_anonymous_hub(string kind)
    {
        await using var hub = await TestHub.StartAsync(o =>
        {
            AccessTokens.Configure(o);
            o.Anonymous = true;
        });
        var (token, place, status, error) = Case(kind, publish: false);
        using var client = ClientFor(hub, token, place);

        using var response = await client.GetAsync(TestHub.HubPath + "?" + HubRequests.TopicQuery(Topic), HttpCompletionOption.ResponseHeadersRead).WaitAsync(SseStream.WaitLimit);

        await response.AssertBearerAsync(status, error, token);
    }

    [Fact]
    public async Task A_v1_token_in_the_v1_cookie_and_a_legacy_token_in_the_query_are_accepted()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        using var cookie = ClientFor(hub, AccessTokens.Subscriber(Topic), "v1-cookie");
        await using var viaCookie = await SseStream.OpenAsync(cookie, TestHub.HubPath, [Topic], null, null);
        using var query = ClientFor(hub, hub.SubscriberToken(Topic), "query");
        await using var viaQuery = await SseStream.OpenAsync(query, TestHub.HubPath, [Topic], null, null);

        await hub.PublishAsync(Topic, "private", isPrivate: true);

        Assert.Equal("private", (await viaCookie.NextAsync()).Data);
        Assert.Equal("private", (await viaQuery.NextAsync()).Data);
    }

    [Fact]
    public async Task A_mercure_claim_in_a_v1_token_grants_nothing()
    {
        await using var hub = await TestHub.StartAsync(AccessTokens.Configure);
        var claims = AccessTokens.Claims();
        claims["mercure"] = new JsonObject { ["publish"] = new JsonArray("*"), ["subscribe"] = new JsonArray("*") };
        var token = AccessTokens.Sign(claims);
        await using var stream = await hub.SubscribeAsync([Topic], token);

        using var publish = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);
        await publish.AssertBearerAsync(HttpStatusCode.Forbidden, "insufficient_scope", token);
        await hub.PublishAsync(Topic, "private", isPrivate: true);

        Assert.DoesNotContain(await hub.EventsBeforeMarkerAsync(stream, Topic), e => e.Data == "private");
    }

    private static (string Token, string Place, HttpStatusCode Status, string Error) Case(string kind, bool publish)
    {
        var actions = publish ? new[] { "publish" } : ["subscribe"];
        var v1 = AccessTokens.Sign(AccessTokens.Claims(null, AccessTokens.Detail(actions, ["*"])));
        var legacy = publish ? Tokens.Create(TestHub.Key, publish: ["*"]) : Tokens.Create(TestHub.Key, subscribe: ["*"]);
        var claims = AccessTokens.Claims(null, AccessTokens.Detail(actions, ["*"]));
        const HttpStatusCode unauthorized = HttpStatusCode.Unauthorized;
        const HttpStatusCode bad = HttpStatusCode.BadRequest;
        switch (kind)
        {
            case "v1-token-in-authorization-query":
                return (v1, "query", bad, "invalid_request");
            case "v1-token-in-access_token-query":
                return (v1, "access_token", bad, "invalid_request");
            case "v1-token-in-legacy-cookie":
                return (v1, "legacy-cookie", bad, "invalid_request");
            case "legacy-token-in-v1-cookie":
                return (legacy, "v1-cookie", bad, "invalid_request");
            case "legacy-token-claiming-at+jwt":
            {
                // The 0.x key and the mercure claim, with typ at+jwt: routed to the 1.0 rules, where no issuer verifies it.
                var mercure = new JsonObject { ["mercure"] = new JsonObject { [publish ? "publish" : "subscribe"] = new JsonArray("*") } };
                return (AccessTokens.Sign(mercure, key: TestHub.Key), "header", unauthorized, "invalid_token");
            }

            case "oidc-id-token-from-configured-issuer":
                claims["nonce"] = "n-0S6_WzA2Mj";
                return (AccessTokens.Sign(claims, typ: "JWT"), "header", unauthorized, "invalid_token");
            case "signed-by-one-issuer-claiming-another":
                claims["iss"] = AccessTokens.OtherIssuer;
                return (AccessTokens.Sign(claims, key: AccessTokens.IssuerKey), "header", unauthorized, "invalid_token");
            case "v1-token-without-exp":
                claims.Remove("exp");
                return (AccessTokens.Sign(claims), "header", unauthorized, "invalid_token");
            case "v1-token-with-foreign-aud":
                claims["aud"] = "https://other-hub.example.com/.well-known/mercure";
                return (AccessTokens.Sign(claims), "header", unauthorized, "invalid_token");
            case "legacy-token-with-forged-authorization_details":
            {
                var forged = JsonNode.Parse(Tokens.Payload(publish ? ["*"] : null, publish ? null : ["*"]))!.AsObject();
                forged["authorization_details"] = new JsonArray(AccessTokens.Detail(actions, ["*"]));
                return (Tokens.Sign(TestHub.Key, forged.ToJsonString()), "header", unauthorized, "invalid_token");
            }

            case "v1-token-signed-with-the-legacy-key":
                return (AccessTokens.Sign(claims, key: TestHub.Key), "header", unauthorized, "invalid_token");
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static HttpClient ClientFor(TestHub hub, string token, string place) => hub.ClientWith(request =>
    {
        switch (place)
        {
            case "header":
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                break;
            case "query":
                HubRequests.AddQuery(request, "authorization", token);
                break;
            case "access_token":
                HubRequests.AddQuery(request, "access_token", token);
                break;
            case "legacy-cookie":
                request.Headers.Add("Cookie", "mercureAuthorization=" + token);
                break;
            case "v1-cookie":
                request.Headers.Add("Cookie", "__Secure-mercure_access_token=" + token);
                break;
        }
    });
}
