using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Fuzz;

/// <summary>Bugs the fuzzers found, each kept as the explicit input that showed it (CsCheck seeds change with the generators).</summary>
public sealed class FuzzFindingsTests
{
    private const string Topic = "https://example.com/books/1";

    /// <summary>
    /// SseFrameFuzzTests (seed 3RvXtnVkODF1, retry 685391271498314092): the hub accepted any 18-digit retry, but
    /// SseParser drops one beyond TimeSpan's range and JavaScript timers fire at once above 2^31-1 ms, so a huge
    /// retry made clients reconnect immediately instead of waiting.
    /// </summary>
    [Theory]
    [InlineData("2147483648")]
    [InlineData("685391271498314092")]
    [InlineData("999999999999999999")]
    public async Task A_retry_longer_than_a_client_timer_can_wait_is_refused(string retry)
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x"), new("retry", retry)]);

        Assert.Contains("2147483647", await response.AssertRefusedAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task The_longest_retry_reaches_subscribers_as_sent()
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await hub.SubscribeAsync([Topic], hub.SubscriberToken("*"));

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x"), new("retry", "2147483647")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TimeSpan.FromMilliseconds(int.MaxValue), (await watcher.NextAsync()).ReconnectionInterval);
    }
}
