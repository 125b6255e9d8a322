using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

/// <summary>
/// Draft-08 "Publication" checks, for both dialects: control characters in topics, the reserved wildcard, event types
/// the hub sends itself, limits as 413, and one topic per update on a hub that speaks only 1.0. Nothing refused is
/// stored or delivered.
/// </summary>
public class DraftPublishChecksTests
{
    private const string Topic = "https://example.com/books/1";

    public static TheoryData<string, string, HttpStatusCode> Refused => new()
    {
        { "topic", "https://example.com/a\u0001b", HttpStatusCode.BadRequest },
        { "topic", "https://example.com/a\u001Fb", HttpStatusCode.BadRequest },
        { "topic", "https://example.com/a\u007Fb", HttpStatusCode.BadRequest },
        { "topic", "https://example.com/a\u0085b", HttpStatusCode.BadRequest },
        { "topic", "https://example.com/a\tb", HttpStatusCode.BadRequest },
        { "topic", "*", HttpStatusCode.BadRequest },
        { "type", "mercure", HttpStatusCode.BadRequest },
        { "type", "herald.token-expiring", HttpStatusCode.BadRequest },
        { "type", "herald.retained-cut", HttpStatusCode.BadRequest },
        { "topic", "https://example.com/" + new string('a', 3000), HttpStatusCode.RequestEntityTooLarge },
        { new string('k', 65), "x", HttpStatusCode.RequestEntityTooLarge },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_field_the_draft_forbids_is_refused_with_its_status_and_nothing_is_delivered(string field, string value, HttpStatusCode status)
    {
        await using var hub = await TestHub.StartAsync(o => { o.Protocol = HeraldProtocol.Both; AccessTokens.Configure(o); });
        await using var watcher = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, "match=*", hub.SubscriberToken("*"), null);
        var fields = new List<KeyValuePair<string, string>> { new("data", "refused"), new(field, value) };
        if (field != "topic")
        {
            fields.Add(new("topic", Topic));
        }

        using var response = await hub.PostAsync(fields);
        var reason = await response.AssertRefusedAsync(status);
        Assert.DoesNotContain('\n', reason);

        await hub.PublishAsync(Topic, "marker");
        Assert.Equal("marker", (await watcher.NextAsync()).Data);
    }

    [Fact]
    public async Task Types_and_topics_that_only_look_reserved_are_accepted()
    {
        await using var hub = await TestHub.StartAsync(o => { o.Protocol = HeraldProtocol.Both; AccessTokens.Configure(o); });
        await using var watcher = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, "match=*", hub.SubscriberToken("*"), null);
        await hub.PublishAsync("https://example.com/*", "a star in a path", type: "Mercure");
        await hub.PublishAsync("https://example.com/ünï\u200Dcode", "joiners are no control", type: "heraldx.update");
        Assert.Equal("Mercure", (await watcher.NextAsync()).EventType);
        Assert.Equal("heraldx.update", (await watcher.NextAsync()).EventType);
    }

    [Fact]
    public async Task A_hub_that_speaks_only_1_0_takes_exactly_one_topic_and_one_serving_0x_takes_alternates()
    {
        KeyValuePair<string, string>[] twoTopics = [new("topic", Topic), new("topic", "https://example.com/alternate"), new("data", "x")];
        await using (var v1 = await TestHub.StartAsync(o => { o.Protocol = HeraldProtocol.V1; AccessTokens.Configure(o); }))
        {
            using var refused = await v1.PostAsync(twoTopics);
            Assert.Contains("exactly one", await refused.AssertRefusedAsync(HttpStatusCode.BadRequest));
        }

        await using var both = await TestHub.StartAsync(o => { o.Protocol = HeraldProtocol.Both; AccessTokens.Configure(o); });
        using var accepted = await both.PostAsync(twoTopics);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }
}
