using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

/// <summary>
/// <c>reportMatches</c>: a stream (or poll) that asks is told, with each update, which of its own <c>topic</c>
/// selectors the update matched, so a browser tab leading a stream shared by tabs with other topics can hand each tab
/// exactly what a stream of its own would have received.
/// </summary>
public class ReportMatchesTests
{
    private static readonly string[] Selectors = ["https://example.com/a", "https://example.com/b/{id}", "https://example.com/c"];

    [Fact]
    public async Task Each_live_update_names_the_indices_of_the_selectors_it_matched_and_its_data_is_unchanged()
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync(Selectors, extraQuery: "reportMatches=1");

        using (var both = await hub.PostAsync([new("topic", "https://example.com/b/7"), new("topic", "https://example.com/c"), new("data", "b and c"), new("id", "u1")]))
        {
            Assert.Equal(HttpStatusCode.OK, both.StatusCode);
        }

        await hub.PublishAsync("https://example.com/a", "a only", id: "u2");

        Assert.Equal("b and c", (await stream.NextAsync()).Data);
        Assert.Equal("a only", (await stream.NextAsync()).Data);
        Assert.Contains("id: u1\ndata: b and c\nherald-matches: 1,2\n\n", stream.RawText);
        Assert.Contains("id: u2\ndata: a only\nherald-matches: 0\n\n", stream.RawText);
    }

    [Fact]
    public async Task A_stream_that_does_not_ask_gets_the_plain_frame()
    {
        await using var hub = await TestHub.StartAsync();
        await using var asking = await hub.SubscribeAsync(Selectors, extraQuery: "reportMatches=true");
        await using var plain = await hub.SubscribeAsync(Selectors);
        await using var off = await hub.SubscribeAsync(Selectors, extraQuery: "reportMatches=0");

        await hub.PublishAsync("https://example.com/a", "x", id: "u1");

        Assert.Equal("x", (await asking.NextAsync()).Data);
        Assert.Equal("x", (await plain.NextAsync()).Data);
        Assert.Equal("x", (await off.NextAsync()).Data);
        Assert.Contains("herald-matches: 0", asking.RawText);
        Assert.DoesNotContain("herald-matches", plain.RawText);
        Assert.DoesNotContain("herald-matches", off.RawText);
    }

    [Fact]
    public async Task Replayed_and_retained_updates_name_their_matches_too()
    {
        await using var hub = await TestHub.StartAsync();
        using (var retained = await hub.PostAsync([new("topic", "https://example.com/c"), new("data", "latest c"), new("id", "r1"), new("retain", "on")]))
        {
            Assert.Equal(HttpStatusCode.OK, retained.StatusCode);
        }

        await hub.PublishAsync("https://example.com/b/1", "stored b", id: "s1");

        await using (var fresh = await hub.SubscribeAsync(Selectors, extraQuery: "reportMatches=1"))
        {
            Assert.Equal("latest c", (await fresh.NextAsync()).Data);
            Assert.Contains("id: r1\ndata: latest c\nherald-matches: 2\n\n", fresh.RawText);
        }

        await using var replay = await hub.SubscribeAsync(Selectors, lastEventId: "earliest", extraQuery: "reportMatches=1");
        var events = await replay.ReadUntilDataAsync("stored b");
        Assert.Contains("id: s1\ndata: stored b\nherald-matches: 1\n\n", replay.RawText);
        Assert.Equal("stored b", events[^1].Data);
    }

    [Fact]
    public async Task A_long_poll_that_asks_gets_a_matches_array_per_update()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync("https://example.com/b/2", "b", id: "p1");
        await hub.PublishAsync("https://example.com/a", "a", id: "p2");
        var query = HubRequests.TopicQuery(Selectors) + "&lastEventID=earliest";

        var asking = await hub.PollAsync(query + "&reportMatches=1", hub.SubscriberToken());
        var plain = await hub.PollAsync(query, hub.SubscriberToken());

        Assert.Equal([[1], [0]], asking.Updates.Select(u => u.GetProperty("matches").EnumerateArray().Select(i => i.GetInt32()).ToArray()));
        Assert.All(plain.Updates, u => Assert.False(u.TryGetProperty("matches", out _)));
    }

    [Fact]
    public async Task Indices_name_only_the_subscribers_own_selectors_never_the_other_topics_of_a_private_update()
    {
        await using var hub = await TestHub.StartAsync();
        var token = hub.SubscriberToken("https://example.com/a");
        await using var stream = await hub.SubscribeAsync(Selectors, token, extraQuery: "reportMatches=1");

        using (var response = await hub.PostAsync([new("topic", "https://example.com/a"), new("topic", "https://example.com/secret/project"), new("data", "private"), new("private", "on"), new("id", "x1")]))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("private", (await stream.NextAsync()).Data);
        Assert.Contains("id: x1\ndata: private\nherald-matches: 0\n\n", stream.RawText);
        Assert.DoesNotContain("secret", stream.RawText);
    }

    [Theory]
    [InlineData("reportMatches=yes")]
    [InlineData("reportMatches=1&reportMatches=1")]
    [InlineData("reportMatches=%00")]
    public async Task A_malformed_value_is_refused_with_a_reason(string extra)
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.GetRawAsync(HubRequests.TopicQuery("t") + "&" + extra, r => r.Headers.Authorization = new("Bearer", hub.SubscriberToken()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("reportMatches", body);
        Assert.DoesNotContain('\n', body.TrimEnd());
    }
}
