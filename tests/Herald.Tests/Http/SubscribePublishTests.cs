using System.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Http;

public class SubscribePublishTests
{
    [Fact]
    public async Task Published_update_reaches_a_subscriber_with_its_fields()
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync(["https://example.com/books/1"]);

        var id = await hub.PublishAsync("https://example.com/books/1", "hello", type: "greeting");

        var item = await stream.NextAsync();
        Assert.Equal("hello", item.Data);
        Assert.Equal("greeting", item.EventType);
        Assert.Equal(id, item.EventId);
        Assert.StartsWith("urn:uuid:", id);
    }

    [Fact]
    public async Task Subscribe_response_has_stream_headers_and_an_immediate_comment()
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync(["a"]);

        var response = stream.Response;
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("private, no-cache, no-store, must-revalidate, max-age=0", response.Headers.NonValidated["Cache-Control"].ToString());
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Accel-Buffering")));
        Assert.False(response.Headers.Contains("Last-Event-ID"));

        // Arrives with no update published: what lets EventSource fire onopen at once.
        await stream.WaitForRawAsync(":\n\n");
    }

    [Fact]
    public async Task Update_is_framed_with_event_retry_id_and_one_data_line_per_line()
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync(["t"]);

        using var response = await hub.PostAsync([new("topic", "t"), new("data", "one\ntwo\r\nthree\rfour"), new("id", "framed"), new("type", "kind"), new("retry", "2500")]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var item = await stream.NextAsync();
        Assert.Equal("one\ntwo\nthree\nfour", item.Data);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), item.ReconnectionInterval);
        Assert.Contains("event: kind\nretry: 2500\nid: framed\ndata: one\ndata: two\ndata: three\ndata: four\n\n", stream.RawText);
    }

    [Fact]
    public async Task Publish_answers_the_id_as_plain_text()
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.PostAsync([new("topic", "t"), new("data", "x"), new("id", "my-id")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("my-id", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Alternate_topics_reach_subscribers_of_any_of_them_once()
    {
        await using var hub = await TestHub.StartAsync();
        await using var alternate = await hub.SubscribeAsync(["https://example.com/alt"]);
        await using var both = await hub.SubscribeAsync(["https://example.com/main", "https://example.com/alt", "*"]);

        using var response = await hub.PostAsync([new("topic", "https://example.com/main"), new("topic", "https://example.com/alt"), new("data", "first")]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await hub.PublishAsync("https://example.com/alt", "marker");

        Assert.Equal("first", (await alternate.NextAsync()).Data);
        Assert.Equal(["first", "marker"], (await both.ReadUntilDataAsync("marker")).Select(e => e.Data));
    }

    [Theory]
    [InlineData("https://example.com/books/{id}", "https://example.com/books/42", true)]
    [InlineData("https://example.com/books/{id}", "https://example.com/books/42/reviews", false)]
    [InlineData("*", "anything-at-all", true)]
    [InlineData("https://example.com/books/1", "https://example.com/books/1", true)]
    [InlineData("https://example.com/books/1", "https://example.com/books/10", false)]
    public async Task Selectors_match_topics_like_mercure(string selector, string topic, bool delivered)
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync([selector, "marker"]);

        await hub.PublishAsync(topic, "candidate");
        await hub.PublishAsync("marker", "marker");

        var seen = await stream.ReadUntilDataAsync("marker");
        Assert.Equal(delivered, seen.Any(e => e.Data == "candidate"));
    }

    [Fact]
    public async Task Embedding_app_publishes_in_process_through_the_same_path()
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync(["https://example.com/jobs/7"]);
        var publisher = hub.Services.GetRequiredService<IHeraldPublisher>();

        var id = await publisher.PublishAsync(new Update { Topics = ["https://example.com/jobs/7"], Data = "50%" });

        var item = await stream.NextAsync();
        Assert.Equal(("50%", id), (item.Data, item.EventId));
        var refused = await Assert.ThrowsAsync<HeraldPublishException>(() =>
            publisher.PublishAsync(new Update { Topics = ["t"], Id = "bad\nid" }).AsTask());
        Assert.Equal(400, refused.StatusCode);
    }

    [Fact]
    public async Task Other_methods_on_the_hub_path_are_refused()
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, TestHub.HubPath));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
