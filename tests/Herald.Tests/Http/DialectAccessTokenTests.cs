using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Headers;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Http;

/// <summary>
/// Both dialects on one hub with 1.0 access tokens beside 0.x ones: what a 1.0 hub needs configured, 1.0 publishers
/// reaching 0.x subscribers and the reverse, authorization per update whatever the subscribe dialect, the 1.0 cookie.
/// </summary>
public class DialectAccessTokenTests
{
    private const string Book1 = "https://example.com/books/1";
    private const string Book2 = "https://example.com/books/2";

    private static Task<TestHub> StartAsync(Action<HeraldOptions>? configure = null) => TestHub.StartAsync(o =>
    {
        AccessTokens.Configure(o);
        configure?.Invoke(o);
    });

    private static string Q(string name, string value) => name + "=" + Uri.EscapeDataString(value);

    [Theory]
    [InlineData(HeraldProtocol.Both)]
    [InlineData(HeraldProtocol.V1)]
    public async Task A_1_0_hub_needs_a_resource_and_an_issuer(HeraldProtocol protocol)
    {
        var bare = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHub.StartAsync(o => o.Protocol = protocol));
        Assert.Contains("needs Resource", bare.Message, StringComparison.Ordinal);

        var noIssuer = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHub.StartAsync(o =>
        {
            o.Protocol = protocol;
            o.Resource = AccessTokens.Resource;
        }));
        Assert.Contains("at least one entry in Issuers", noIssuer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unset_the_protocol_is_legacy_and_both_once_an_issuer_is_configured()
    {
        await using (var legacy = await TestHub.StartAsync())
        {
            Assert.Equal(HeraldProtocol.Legacy, legacy.Services.GetRequiredService<IOptions<HeraldOptions>>().Value.ServedProtocol);
        }

        await using var withIssuer = await StartAsync();
        Assert.Equal(HeraldProtocol.Both, withIssuer.Services.GetRequiredService<IOptions<HeraldOptions>>().Value.ServedProtocol);
        await using var stream = await SseStream.OpenQueryAsync(withIssuer.Client, TestHub.HubPath, Q("match", Book1), AccessTokens.Subscriber(Book1), null);
    }

    [Fact]
    public async Task A_1_0_publisher_reaches_0x_subscribers_and_a_0x_publisher_1_0_subscribers_each_authorized_per_update()
    {
        await using var hub = await StartAsync();

        // 1.0 subscriber routed to every book, granted only books/1; a 0.x subscriber with a legacy token for books/1.
        await using var v1 = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, Q("matchURLPattern", "https://example.com/books/:id"), AccessTokens.Subscriber(Book1), null);
        await using var legacy = await hub.SubscribeAsync(["https://example.com/books/{id}"], hub.SubscriberToken(Book1));

        await PublishV1Async(hub, Book2, "private for 2", isPrivate: true);
        await PublishV1Async(hub, Book1, "private for 1 from a 1.0 publisher", isPrivate: true);
        await hub.PublishAsync(Book2, "public from a 0.x publisher");
        await hub.PublishAsync(Book1, "private for 1 from a 0.x publisher", isPrivate: true);

        foreach (var stream in new[] { v1, legacy })
        {
            Assert.Equal("private for 1 from a 1.0 publisher", (await stream.NextAsync()).Data);
            Assert.Equal("public from a 0.x publisher", (await stream.NextAsync()).Data);
            Assert.Equal("private for 1 from a 0.x publisher", (await stream.NextAsync()).Data);
            Assert.DoesNotContain("private for 2", stream.RawText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_1_0_token_publishes_exactly_one_topic_while_a_0x_token_may_send_alternates()
    {
        await using var hub = await StartAsync();
        KeyValuePair<string, string>[] twoTopics = [new("topic", Book1), new("topic", Book2), new("data", "x")];
        using var refused = await hub.PostAsync(twoTopics, AccessTokens.Publisher("*"));
        Assert.Contains("1.0 access token", await refused.AssertRefusedAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);

        using var accepted = await hub.PostAsync(twoTopics, hub.PublisherToken());
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task A_1_0_subscription_authenticates_with_the_1_0_cookie_and_resumes_with_lastEventID()
    {
        await using var hub = await StartAsync();
        var start = await PublishV1Async(hub, Book1, "start");
        await PublishV1Async(hub, Book1, "private after start", isPrivate: true);

        using var request = new HttpRequestMessage(HttpMethod.Get, TestHub.HubPath + "?" + Q("match", Book1) + "&" + Q("lastEventID", start));
        request.Headers.Add("Cookie", "__Secure-mercure_access_token=" + AccessTokens.Subscriber(Book1));
        using var response = await hub.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(start, response.Headers.GetValues("Mercure-Last-Event-ID").Single());
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? line;
        while ((line = await reader.ReadLineAsync().WaitAsync(SseStream.WaitLimit)) is not null && !line.StartsWith("data:", StringComparison.Ordinal))
        {
        }

        Assert.Equal("data: private after start", line);
    }

    private static async Task<string> PublishV1Async(TestHub hub, string topic, string data, bool isPrivate = false)
    {
        var fields = new List<KeyValuePair<string, string>> { new("topic", topic), new("data", data) };
        if (isPrivate)
        {
            fields.Add(new("private", "on"));
        }

        using var response = await hub.PostAsync(fields, AccessTokens.Publisher("*"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        return body;
    }
}
