using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

public class PublishValidationTests
{
    private const string Topic = "https://example.com/books/1";

    public static TheoryData<string, string> InvalidIdsAndTypes => new()
    {
        { "id", "a\rb" },
        { "id", "a\nb" },
        { "id", "a\r\nb" },
        { "id", "a\0b" },
        { "id", "trailing\n" },
        { "id", "#fragment" },
        { "id", "earliest" },
        { "type", "a\rb" },
        { "type", "a\nb" },
        { "type", "evil\n\ndata: injected" },
        { "type", "a\0b" },
        { "topic", "https://example.com/a\0b" },
    };

    public static TheoryData<string> HubTopics => new()
    {
        "https://example.com/.well-known/mercure",
        "https://example.com/.well-known/mercure?topic=x",
        "https://example.com/.WELL-KNOWN/Mercure",
        "https://example.com%2F.well-known%2Fmercure",
        "https://example.com%2f.Well-Known%2fMERCURE",
        "/.well-known/mercure",
        "https://example.com/.well-known/x/../mercure/subscriptions/a",
        "https://example.com/.well-known/%2e%2e/.well-known/mercure",
        "https://example.com/%2Ewell-known/%6Dercure/x",
        "https://example.com/a/b/%2e%2E/../.well-known/mercure/",
        "http://[::1]/.well-known/mercure/stats",
        "mercure/subscriptions/x",
    };

    /// <summary>Topics the old substring test refused though their path is not the hub's.</summary>
    public static TheoryData<string> NotHubTopics => new()
    {
        "https://example.com/?x=/.well-known/mercure",
        "https://example.com/books#/.well-known/mercure",
        "https://example.com/books/.well-known/mercure",
        "urn:example:/.well-known/mercure",
        "https://example.com/.well-known/mercurex",
    };

    [Theory]
    [MemberData(nameof(NotHubTopics))]
    public async Task A_topic_mentioning_the_hub_path_outside_its_path_is_published(string topic)
    {
        await using var hub = await TestHub.StartAsync();
        using var response = await hub.PostAsync([new("topic", topic), new("data", "accepted")]);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static TheoryData<string> InjectionAttempts => new()
    {
        "safe\n\nid: x\nevent: evil\n",
        "safe\r\n\r\nid: x\r\nevent: evil\r\nretry: 1\r\n",
        "safe\rretry: 1\r\rid: y\revent: evil",
        "retry: 1",
        "safe\nretry: 1\n",
        "data: fake\n:comment\n\nevent: evil",
        "\n\n\n",
        "mixed\r\nline\rbreaks\nhere",
    };

    [Theory]
    [MemberData(nameof(InvalidIdsAndTypes))]
    public async Task A_line_break_NUL_or_reserved_id_is_refused_and_nothing_is_stored(string field, string value)
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await WatchAllAsync(hub);
        var fields = new List<KeyValuePair<string, string>> { new("topic", Topic), new("data", "refused"), new(field, value) };
        if (field == "topic")
        {
            fields.RemoveAt(0);
        }

        using var response = await hub.PostAsync(fields);

        await response.AssertRefusedAsync(HttpStatusCode.BadRequest);
        await AssertNothingStoredAsync(hub, watcher);
    }

    [Theory]
    [InlineData("12a")]
    [InlineData("-1")]
    [InlineData(" 5")]
    [InlineData("5 ")]
    [InlineData("1.5")]
    [InlineData("+5")]
    [InlineData("0x10")]
    [InlineData("99999999999999999999")]
    public async Task A_retry_that_is_not_only_digits_is_refused_and_nothing_is_stored(string retry)
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await WatchAllAsync(hub);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "refused"), new("retry", retry)]);

        Assert.Contains("retry", await response.AssertRefusedAsync(HttpStatusCode.BadRequest));
        await AssertNothingStoredAsync(hub, watcher);
    }

    [Fact]
    public async Task An_invalid_update_is_refused_as_invalid_before_its_topics_are_judged()
    {
        await using var hub = await TestHub.StartAsync();

        // A token that may not publish to the topic, and an id no update may carry: the update's fault is named first.
        using var response = await hub.PostAsync([new("topic", "https://example.com/elsewhere"), new("data", "x"), new("id", "a\nb")], hub.PublisherToken(Topic));

        var reason = await response.AssertRefusedAsync(HttpStatusCode.BadRequest);
        Assert.Contains("\"id\"", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_digits_only_retry_is_sent_to_subscribers()
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await WatchAllAsync(hub);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "with retry"), new("retry", "2500")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), (await watcher.NextAsync()).ReconnectionInterval);
    }

    [Theory]
    [MemberData(nameof(HubTopics))]
    public async Task A_topic_naming_the_hub_path_is_forbidden_and_nothing_is_stored(string topic)
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await WatchAllAsync(hub);

        using var canonical = await hub.PostAsync([new("topic", topic), new("data", "refused")]);
        using var alternate = await hub.PostAsync([new("topic", Topic), new("topic", topic), new("data", "refused")]);

        await canonical.AssertRefusedAsync(HttpStatusCode.Forbidden);
        await alternate.AssertRefusedAsync(HttpStatusCode.Forbidden);
        await AssertNothingStoredAsync(hub, watcher);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("multipart")]
    [InlineData("none")]
    [InlineData("text")]
    public async Task A_body_that_is_not_form_urlencoded_is_415_and_nothing_is_stored(string kind)
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await WatchAllAsync(hub);
        HttpContent content = kind switch
        {
            "json" => new StringContent("""{"topic":"https://example.com/books/1","data":"refused"}""", Encoding.UTF8, "application/json"),
            "multipart" => new MultipartFormDataContent { { new StringContent(Topic), "topic" }, { new StringContent("refused"), "data" } },
            "none" => new ByteArrayContent(Encoding.ASCII.GetBytes("topic=https%3A%2F%2Fexample.com%2Fbooks%2F1&data=refused")),
            "text" => new StringContent("topic=https%3A%2F%2Fexample.com%2Fbooks%2F1&data=refused", Encoding.UTF8, "text/plain"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        using var response = await hub.PostRawAsync(content, hub.PublisherToken());

        await response.AssertRefusedAsync(HttpStatusCode.UnsupportedMediaType);
        await AssertNothingStoredAsync(hub, watcher);
    }

    [Fact]
    public async Task A_form_content_type_with_a_charset_is_accepted()
    {
        await using var hub = await TestHub.StartAsync();
        var content = new StringContent("topic=https%3A%2F%2Fexample.com%2Fbooks%2F1&data=ok", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded; charset=utf-8");

        using var response = await hub.PostRawAsync(content, hub.PublisherToken());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 2000)]
    [InlineData(false, 1)]
    [InlineData(false, 2000)]
    public async Task A_body_over_the_limit_is_413_and_nothing_is_stored(bool chunked, int excess)
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxRequestBodySize = 1024);
        await using var watcher = await WatchAllAsync(hub);
        var prefix = "topic=" + Uri.EscapeDataString(Topic) + "&data=";
        var body = Encoding.ASCII.GetBytes(prefix + new string('x', 1024 - prefix.Length + excess));
        HttpContent content = chunked ? new UnknownLengthContent(body) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");

        using var response = await hub.PostRawAsync(content, hub.PublisherToken());

        Assert.Equal(chunked, content.Headers.ContentLength is null);
        Assert.Contains("1024", await response.AssertRefusedAsync(HttpStatusCode.RequestEntityTooLarge));
        await AssertNothingStoredAsync(hub, watcher);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_just_under_the_limit_is_accepted(bool chunked)
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxRequestBodySize = 1024);
        var prefix = "topic=" + Uri.EscapeDataString(Topic) + "&data=";
        var body = Encoding.ASCII.GetBytes(prefix + new string('x', 1024 - prefix.Length));
        HttpContent content = chunked ? new UnknownLengthContent(body) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");

        using var response = await hub.PostRawAsync(content, hub.PublisherToken());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_missing_or_empty_topic_is_refused_and_nothing_is_stored(bool empty)
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await WatchAllAsync(hub);
        var fields = new List<KeyValuePair<string, string>> { new("data", "refused") };
        if (empty)
        {
            fields.Add(new("topic", ""));
        }

        using var response = await hub.PostAsync(fields);

        Assert.Contains("topic", await response.AssertRefusedAsync(HttpStatusCode.BadRequest));
        await AssertNothingStoredAsync(hub, watcher);
    }

    [Fact]
    public async Task An_update_with_1001_topics_is_refused_and_nothing_is_stored()
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await WatchAllAsync(hub);

        using var response = await hub.PostAsync(ManyTopics(1001).Append(new("data", "refused")));

        // A limit: 413, as the Mercure 1.0 draft says of every publish limit.
        Assert.Contains("1000", await response.AssertRefusedAsync(HttpStatusCode.RequestEntityTooLarge));
        await AssertNothingStoredAsync(hub, watcher);
    }

    [Fact]
    public async Task An_update_with_1000_topics_is_accepted()
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.PostAsync(ManyTopics(1000).Append(new("data", "ok")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Republishing_the_same_id_and_content_answers_the_same_id_and_delivers_once()
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await WatchAllAsync(hub);
        KeyValuePair<string, string>[] fields = [new("topic", Topic), new("data", "once"), new("id", "urn:example:once"), new("type", "t")];

        using var first = await hub.PostAsync(fields);
        using var second = await hub.PostAsync(fields);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("urn:example:once", await first.BodyAsync());
        Assert.Equal("urn:example:once", await second.BodyAsync());
        var live = await hub.EventsBeforeMarkerAsync(watcher, Topic);
        Assert.Equal(["urn:example:once"], live.Select(e => e.EventId));
        var (replayed, _) = await hub.ReplayAllAsync(["*"], hub.SubscriberToken("*"), Topic);
        Assert.Single(replayed, e => e.EventId == "urn:example:once");
    }

    [Theory]
    [InlineData("data", "different")]
    [InlineData("type", "other")]
    [InlineData("topic", "https://example.com/books/2")]
    [InlineData("private", "on")]
    public async Task Republishing_an_id_with_different_content_is_409_and_the_original_stays(string field, string value)
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await WatchAllAsync(hub);
        var original = new Dictionary<string, string> { ["topic"] = Topic, ["data"] = "original", ["id"] = "urn:example:taken", ["type"] = "t" };
        var changed = new Dictionary<string, string>(original) { [field] = value };

        using var first = await hub.PostAsync(original);
        using var second = await hub.PostAsync(changed);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Contains("urn:example:taken", await second.AssertRefusedAsync(HttpStatusCode.Conflict));
        var live = await hub.EventsBeforeMarkerAsync(watcher, Topic);
        Assert.Equal(["original"], live.Select(e => e.Data));
        var (replayed, _) = await hub.ReplayAllAsync(["*"], hub.SubscriberToken("*"), Topic);
        Assert.Equal(["original"], replayed.Where(e => e.EventId == "urn:example:taken").Select(e => e.Data));
    }

    [Theory]
    [MemberData(nameof(InjectionAttempts))]
    public async Task Data_cannot_inject_sse_fields_live_or_replayed(string data)
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await WatchAllAsync(hub);
        var expected = data.Replace("\r\n", "\n").Replace('\r', '\n');

        var id = await hub.PublishAsync(Topic, data);

        var live = await hub.EventsBeforeMarkerAsync(watcher, Topic);
        var (replayed, _) = await hub.ReplayAllAsync(["*"], hub.SubscriberToken("*"), Topic);
        foreach (var events in new[] { live, replayed.Where(e => !e.Data.StartsWith("marker-", StringComparison.Ordinal)).ToList() })
        {
            var item = Assert.Single(events);
            Assert.Equal(expected, item.Data);
            Assert.Equal(id, item.EventId);
            Assert.Equal("message", item.EventType);
            Assert.Null(item.ReconnectionInterval);
        }
    }

    [Fact]
    public async Task Subscribing_without_a_topic_is_400()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);

        using var response = await hub.GetRawAsync("", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hub.SubscriberToken("*")));

        Assert.Contains("topic", await response.AssertRefusedAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Subscribing_to_1001_topics_is_400()
    {
        await using var hub = await TestHub.StartAsync();

        // One-letter selectors keep the request line under Kestrel's 8 KiB limit, so the hub, not Kestrel, answers.
        using var response = await hub.GetRawAsync(
            string.Join("&", Enumerable.Repeat("topic=a", 1001)),
            r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hub.SubscriberToken("*")));

        Assert.Contains("1000", await response.AssertRefusedAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Subscribing_to_1000_topics_is_accepted()
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.GetRawAsync(
            string.Join("&", Enumerable.Repeat("topic=a", 1000)),
            r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hub.SubscriberToken("*")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static Task<SseStream> WatchAllAsync(TestHub hub) => hub.SubscribeAsync(["*"], hub.SubscriberToken("*"));

    private static IEnumerable<KeyValuePair<string, string>> ManyTopics(int count) =>
        Enumerable.Range(0, count).Select(i => new KeyValuePair<string, string>("topic", $"https://example.com/t/{i}"));

    /// <summary>The watcher on <c>*</c> sees a later marker first, and a replay of everything holds only markers.</summary>
    private static async Task AssertNothingStoredAsync(TestHub hub, SseStream watcher)
    {
        Assert.Empty(await hub.EventsBeforeMarkerAsync(watcher, Topic));
        var (replayed, _) = await hub.ReplayAllAsync(["*"], hub.SubscriberToken("*"), Topic);
        Assert.All(replayed, e => Assert.StartsWith("marker-", e.Data));
    }

    /// <summary>A body whose length is not announced, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
