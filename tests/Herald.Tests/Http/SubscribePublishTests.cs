using System.Net;
using Herald.Tests.Infrastructure;

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
}
