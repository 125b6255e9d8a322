using System.Net;
using System.Text.Json;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Http;

/// <summary>The health report: who may read it, what it says, and the same report as a stream.</summary>
public class StatsTests
{
    private const string StatsPath = TestHub.HubPath + "/stats";
    private const string StatsTopic = "/.well-known/mercure/stats";

    [Fact]
    public async Task Only_a_token_granting_the_stats_topic_reads_the_report()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);

        using var anonymous = await GetAsync(hub, token: null);
        using var ungranted = await GetAsync(hub, hub.SubscriberToken("https://example.com/books/{id}"));
        using var granted = await GetAsync(hub, hub.SubscriberToken(StatsTopic));

        await anonymous.AssertRefusedAsync(HttpStatusCode.Forbidden);
        Assert.Contains(StatsTopic, await ungranted.AssertRefusedAsync(HttpStatusCode.Forbidden), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
    }

    [Fact]
    public async Task A_hub_without_anonymous_access_asks_for_a_token_and_public_stats_need_none()
    {
        await using var closed = await TestHub.StartAsync();
        await using var open = await TestHub.StartAsync(o => o.PublicStats = true);

        using var refused = await GetAsync(closed, token: null);
        using var answered = await GetAsync(open, token: null);

        await refused.AssertRefusedAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    [Fact]
    public async Task The_report_counts_the_last_minute_and_says_healthy()
    {
        await using var hub = await TestHub.StartAsync(o => o.PublicStats = true);
        await using var stream = await hub.SubscribeAsync(["t"], hub.SubscriberToken("t"));
        await hub.PublishAsync("t", "one");
        await stream.NextAsync();

        var report = await ReportAsync(hub);

        Assert.Equal("healthy", report.GetProperty("status").GetString());
        Assert.Empty(report.GetProperty("reasons").EnumerateArray());
        Assert.Equal("memory", report.GetProperty("store").GetProperty("kind").GetString());
        Assert.Equal(1, report.GetProperty("store").GetProperty("head").GetInt64());
        Assert.Equal(1, report.GetProperty("connections").GetProperty("streams").GetInt64());
        Assert.Equal(1, report.GetProperty("lastMinute").GetProperty("publishes").GetInt64());
        Assert.Equal(1, report.GetProperty("lastMinute").GetProperty("deliveries").GetInt64());
        Assert.True(report.GetProperty("latencyMs").GetProperty("publishP99").GetDouble() >= 0);
        var top = report.GetProperty("topSelectors")[0];
        Assert.Equal(("t", 1), (top.GetProperty("selector").GetString(), top.GetProperty("subscribers").GetInt32()));
    }

    [Fact]
    public async Task An_unreachable_store_makes_it_critical_and_a_full_hub_degraded()
    {
        InstrumentedStore? store = null;
        await using var hub = await TestHub.StartAsync(
            o => (o.PublicStats, o.MaxConnections) = (true, 1),
            services: s => s.AddSingleton<IHistoryStore>(_ => store = new InstrumentedStore(TimeProvider.System)));
        await using var stream = await hub.SubscribeAsync(["t"], hub.SubscriberToken("t"));

        var full = await ReportAsync(hub);
        store!.Unavailable = "the test store is down";
        var down = await ReportAsync(hub);

        Assert.Equal("degraded", full.GetProperty("status").GetString());
        Assert.Contains("1 of 1 connections", full.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("critical", down.GetProperty("status").GetString());
        Assert.Contains("the test store is down", down.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribers_of_the_stats_topic_receive_the_report_as_an_event_without_an_id()
    {
        await using var hub = await TestHub.StartAsync(fakeTime: true);
        await using var stats = await hub.SubscribeAsync([StatsTopic], hub.SubscriberToken("*"));
        await using var everything = await hub.SubscribeAsync(["*"], hub.SubscriberToken("*"));
        await using var ungranted = await hub.SubscribeAsync([StatsTopic, "t"], hub.SubscriberToken("t"));

        hub.Time!.Advance(TimeSpan.FromSeconds(5));
        var report = await stats.NextAsync();

        Assert.Equal("herald.stats", report.EventType);
        Assert.Equal("healthy", JsonDocument.Parse(report.Data).RootElement.GetProperty("status").GetString());
        Assert.DoesNotContain("id:", stats.RawText, StringComparison.Ordinal);

        // Only those who asked for the topic by name and may see it: a "*" stream keeps receiving only updates.
        await hub.PublishAsync("t", "marker");
        Assert.Equal("marker", (await everything.NextAsync()).Data);
        Assert.Equal("marker", (await ungranted.NextAsync()).Data);
    }

    private static Task<HttpResponseMessage> GetAsync(TestHub hub, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, StatsPath);
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        return hub.Client.SendAsync(request);
    }

    private static async Task<JsonElement> ReportAsync(TestHub hub)
    {
        using var response = await GetAsync(hub, token: null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }
}
