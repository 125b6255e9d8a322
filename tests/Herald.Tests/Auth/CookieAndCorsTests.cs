using System.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Auth;

/// <summary>Browsers: the token in a cookie, publish origins against CSRF, and CORS for pages on other origins.</summary>
public sealed class CookieAndCorsTests
{
    private const string Topic = "https://example.com/books/1";
    private const string App = "https://app.example.com";
    private const string Evil = "https://evil.example.net";

    [Theory]
    [InlineData("Origin", App, HttpStatusCode.OK)]
    [InlineData("Referer", App + "/books/1?edit", HttpStatusCode.OK)]
    [InlineData("Origin", Evil, HttpStatusCode.Forbidden)]
    [InlineData("Referer", Evil + "/attack.html", HttpStatusCode.Forbidden)]
    [InlineData(null, null, HttpStatusCode.Forbidden)]
    public async Task A_cookie_authenticated_publish_needs_a_listed_origin(string? header, string? value, HttpStatusCode expected)
    {
        await using var hub = await TestHub.StartAsync(o => o.PublishOrigins = [App]);
        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic));
        var token = hub.PublisherToken(Topic);
        using var client = hub.ClientWith(r =>
        {
            r.Headers.TryAddWithoutValidation("Cookie", "mercureAuthorization=" + token);
            if (header is not null)
            {
                r.Headers.TryAddWithoutValidation(header, value);
            }
        });

        using var response = await client.PostAsync(TestHub.HubPath, HubRequests.Form(("topic", Topic), ("data", "by cookie"), ("private", "on")));

        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("by cookie", (await stream.NextAsync()).Data);
            return;
        }

        var reason = await response.AssertRefusedAsync(HttpStatusCode.Forbidden);
        Assert.Contains(header is null ? "Origin or Referer" : Evil, reason);
        Assert.DoesNotContain(token, reason);
        Assert.DoesNotContain(await hub.EventsBeforeMarkerAsync(stream, Topic), e => e.Data == "by cookie");
    }

    [Fact]
    public async Task A_publish_with_the_token_in_the_header_needs_no_origin()
    {
        await using var hub = await TestHub.StartAsync(o => o.PublishOrigins = [App]);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_cookie_name_is_configurable()
    {
        await using var hub = await TestHub.StartAsync(o => o.CookieName = "hubToken");
        var token = hub.SubscriberToken(Topic);
        using var client = hub.ClientWith(r => r.Headers.TryAddWithoutValidation("Cookie", "hubToken=" + token));
        await using var stream = await SseStream.OpenAsync(client, TestHub.HubPath, [Topic], token: null, lastEventId: null);

        await hub.PublishAsync(Topic, "via hubToken", isPrivate: true);

        Assert.Equal("via hubToken", (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task A_preflight_from_an_allowed_origin_allows_the_eventsource_headers_with_credentials()
    {
        await using var hub = await TestHub.StartAsync(o => o.CorsOrigins = [App]);

        using var response = await PreflightAsync(hub, App, "GET", "authorization, cache-control, last-event-id");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(App, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        var allowed = Header(response, "Access-Control-Allow-Headers")!.ToLowerInvariant();
        Assert.Contains("authorization", allowed);
        Assert.Contains("cache-control", allowed);
        Assert.Contains("last-event-id", allowed);
    }

    [Fact]
    public async Task A_preflight_from_another_origin_is_403_with_a_reason_and_no_cors_headers()
    {
        await using var hub = await TestHub.StartAsync(o => o.CorsOrigins = [App]);

        using var response = await PreflightAsync(hub, Evil, "GET", "last-event-id");

        Assert.Contains(Evil, await response.AssertRefusedAsync(HttpStatusCode.Forbidden));
        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_credentialed_subscribe_from_an_allowed_origin_exposes_Last_Event_ID_and_another_origin_gets_no_cors_headers()
    {
        await using var hub = await TestHub.StartAsync(o => o.CorsOrigins = [App]);
        var id = await hub.PublishAsync(Topic, "first");

        using var allowed = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r =>
        {
            r.Headers.Authorization = new("Bearer", hub.SubscriberToken(Topic));
            r.Headers.TryAddWithoutValidation("Origin", App);
            r.Headers.TryAddWithoutValidation("Last-Event-ID", id);
        });
        using var foreign = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r =>
        {
            r.Headers.Authorization = new("Bearer", hub.SubscriberToken(Topic));
            r.Headers.TryAddWithoutValidation("Origin", Evil);
        });

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(App, Header(allowed, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(allowed, "Access-Control-Allow-Credentials"));
        Assert.Contains("Last-Event-ID", Header(allowed, "Access-Control-Expose-Headers"));
        Assert.Equal(id, Header(allowed, "Last-Event-ID"));
        Assert.Null(Header(foreign, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("http://localhost:5173", true)]
    [InlineData("http://localhost", true)]
    [InlineData("http://localhost:5173.evil.net", false)]
    [InlineData("http://localhost.evil.net", false)]
    [InlineData("https://localhost:5173", false)]
    public async Task Any_port_patterns_match_only_that_host(string origin, bool allowed)
    {
        await using var hub = await TestHub.StartAsync(o => o.CorsOrigins = ["http://localhost:*"]);

        using var response = await PreflightAsync(hub, origin, "GET", "last-event-id");

        Assert.Equal(allowed ? HttpStatusCode.NoContent : HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_wildcard_on_an_anonymous_hub_allows_any_origin_without_credentials()
    {
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.Anonymous = true;
            o.CorsOrigins = ["*"];
        });

        using var response = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.TryAddWithoutValidation("Origin", Evil));

        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task A_wildcard_on_a_hub_with_tokens_stops_it_at_start()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHub.StartAsync(o => o.CorsOrigins = ["*"]));

        Assert.Contains("CorsOrigins", error.Message);
    }

    private static Task<HttpResponseMessage> PreflightAsync(TestHub hub, string origin, string method, string headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, TestHub.HubPath + "?topic=x");
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", method);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", headers);
        return hub.Client.SendAsync(request);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;
}
