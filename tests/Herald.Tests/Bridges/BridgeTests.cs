using System.Text.Json;
using Herald.Bridges;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Bridges;

public class BridgeTests
{
    private const string Topic = "https://example.com/bundle";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Fifty_subscribers_cost_one_upstream_request_per_interval_get_the_value_at_once_and_every_change_and_nobody_costs_none()
    {
        await using var upstream = await Upstream.StartAsync();
        await using var hub = await StartHubAsync(upstream);
        var status = Status(hub);

        // Nobody subscribed, or only to * (a dashboard): no request. Absence can only be waited for.
        await using (var everything = await hub.SubscribeAsync(["*"], hub.SubscriberToken("*")))
        {
            await Task.Delay(Interval * 4);
        }

        Assert.Equal(0, upstream.Requests);

        var streams = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic))));
        try
        {
            // Each gets the current value first: from the snapshot, or live when it connected before the first answer.
            foreach (var stream in streams)
            {
                Assert.Equal("{\"v\":1}", (await stream.NextAsync()).Data);
            }

            var before = upstream.Requests;
            var started = DateTime.UtcNow;
            await upstream.WaitForRequestsAsync(before + 4);
            var elapsed = DateTime.UtcNow - started;

            // Four requests took about four intervals: one per interval for all 50, conditional, answered 304.
            Assert.InRange(elapsed, Interval * 2.5, Interval * 50);
            Assert.True(upstream.Conditional >= 4 && upstream.NotModified >= 4, $"{upstream.Conditional} conditional, {upstream.NotModified} not modified");

            upstream.Body = "{\"v\":2}";
            foreach (var stream in streams)
            {
                // The next event is the change: unchanged answers were not published.
                Assert.Equal("{\"v\":2}", (await stream.NextAsync()).Data);
            }

            // Counted once the publish returned, which can be after its delivery.
            await WaitUntilAsync(() => status.Published >= 2);
            Assert.Equal(2, status.Published);
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }

        await hub.WaitForStreamsAsync(0);
        await WaitUntilAsync(() => !status.Polling);
        var idle = upstream.Requests;
        await Task.Delay(Interval * 4);
        Assert.Equal(idle, upstream.Requests);
    }

    [Fact]
    public async Task A_reconnect_after_the_snapshot_neither_misses_nor_repeats()
    {
        await using var upstream = await Upstream.StartAsync();
        await using var hub = await StartHubAsync(upstream);
        string cursor;
        await using (var first = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic)))
        {
            Assert.Equal("{\"v\":1}", (await first.NextAsync()).Data);
            await hub.WaitForDispatchAsync(1);
        }

        // A second page gets the value from the snapshot, with the cursor of the head after it.
        await using (var second = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic)))
        {
            Assert.Equal("{\"v\":1}", (await second.NextAsync()).Data);
            await second.WaitForRawAsync("id: herald-cursor:");
            await second.WaitForRawAsync(".1\n\n");
            cursor = System.Text.RegularExpressions.Regex.Match(second.RawText, @"id: (herald-cursor:\S+)\n\n").Groups[1].Value;
        }

        upstream.Body = "{\"v\":3}";
        await using var again = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic), lastEventId: cursor);
        var next = await again.NextAsync();
        Assert.Equal("{\"v\":3}", next.Data);
        await hub.PublishAsync(Topic, "marker");
        Assert.Equal("marker", (await again.NextAsync()).Data);
    }

    [Fact]
    public async Task Server_errors_and_html_are_reported_never_published_and_the_bridge_recovers()
    {
        await using var upstream = await Upstream.StartAsync();
        var answers = 0;
        upstream.Answer = async context =>
        {
            if (Interlocked.Increment(ref answers) % 2 == 1)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsync("{\"error\":\"down\"}");
            }
            else
            {
                // A proxy's error page served as 200, with and without its type.
                context.Response.ContentType = answers % 4 == 0 ? "text/html" : "application/json";
                await context.Response.WriteAsync("<!DOCTYPE html><html><body>Bad gateway</body></html>");
            }
        };
        await using var hub = await StartHubAsync(upstream, interval: TimeSpan.FromMilliseconds(100));
        var status = Status(hub);
        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic));

        await upstream.WaitForRequestsAsync(4);
        await WaitUntilAsync(() => status.Errors >= 4);
        Assert.Equal(0, status.Published);
        Assert.True(status.LastError!.Contains("503", StringComparison.Ordinal) || status.LastError.Contains("HTML", StringComparison.Ordinal), status.LastError);

        using (var response = await hub.Client.GetAsync(TestHub.HubPath + "/stats"))
        {
            var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            var bridge = report.GetProperty("bridges")[0];
            Assert.Equal(Topic, bridge.GetProperty("topic").GetString());
            Assert.True(bridge.GetProperty("errors").GetInt64() >= 4);
            Assert.Equal(0, bridge.GetProperty("published").GetInt64());
            Assert.Equal("degraded", report.GetProperty("status").GetString());
        }

        upstream.Answer = null;
        Assert.Equal("{\"v\":1}", (await stream.NextAsync()).Data);
        await WaitUntilAsync(() => status.ConsecutiveErrors == 0);
        Assert.Equal(1, status.Published);
    }

    [Fact]
    public async Task A_slow_upstream_delays_no_other_bridge()
    {
        await using var slow = await Upstream.StartAsync();
        var release = new TaskCompletionSource();
        slow.Answer = async context => await release.Task.WaitAsync(context.RequestAborted);
        await using var fast = await Upstream.StartAsync();
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.Bridges.Add(new HeraldBridge { Topic = "https://example.com/slow", Url = slow.DocUrl, Interval = Interval, Timeout = TimeSpan.FromSeconds(30) });
            o.Bridges.Add(new HeraldBridge { Topic = Topic, Url = fast.DocUrl, Interval = Interval });
        });
        await using var stream = await hub.SubscribeAsync(["https://example.com/slow", Topic], hub.SubscriberToken("*"));
        await slow.WaitForRequestsAsync(1);

        Assert.Equal("{\"v\":1}", (await stream.NextAsync()).Data);
        Assert.False(release.Task.IsCompleted);
        release.SetResult();
    }

    [Theory]
    [InlineData("https://example.com/a=https://up.example/doc@5s", "https://example.com/a", "https://up.example/doc", 5)]
    [InlineData("https://example.com/a?x=1=http://u:p@up.example/doc?y=2", "https://example.com/a?x=1", "http://u:p@up.example/doc?y=2", 5)]
    [InlineData("t=http://up.example/doc@250ms", "t", "http://up.example/doc", 0.25)]
    public void A_bridge_flag_reads_topic_url_and_interval(string flag, string topic, string url, double seconds)
    {
        var bridge = HeraldBridge.Parse(flag, text => text.EndsWith("ms", StringComparison.Ordinal)
            ? TimeSpan.FromMilliseconds(int.Parse(text[..^2], System.Globalization.CultureInfo.InvariantCulture))
            : TimeSpan.FromSeconds(int.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal((topic, url, TimeSpan.FromSeconds(seconds)), (bridge.Topic, bridge.Url, bridge.Interval));
    }

    [Theory]
    [InlineData("", "http://up/doc", "Topic")]
    [InlineData("t/{id}", "http://up/doc", "Topic")]
    [InlineData("*", "http://up/doc", "Topic")]
    [InlineData("t", "ftp://up/doc", "Url")]
    [InlineData("t", "not a url", "Url")]
    public void A_bridge_that_cannot_work_is_refused_at_start(string topic, string url, string named)
    {
        var options = new HeraldOptions { JwtKey = TestHub.Key };
        options.Bridges.Add(new HeraldBridge { Topic = topic, Url = url });
        var failures = new List<string>();
        BridgeValidation.Check(options, failures);
        Assert.Contains(failures, f => f.Contains(named, StringComparison.Ordinal));
    }

    private static Task<TestHub> StartHubAsync(Upstream upstream, TimeSpan? interval = null) =>
        TestHub.StartAsync(o =>
        {
            o.PublicStats = true;
            o.Bridges.Add(new HeraldBridge { Topic = Topic, Url = upstream.DocUrl, Interval = interval ?? Interval, Timeout = TimeSpan.FromSeconds(5) });
        });

    private static BridgeStatus Status(TestHub hub) => hub.Services.GetRequiredService<BridgeService>().Statuses.Single();

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(SseStream.WaitLimit);
        while (!condition())
        {
            // The bridge's status has no event to await; a short real-time poll.
            await Task.Delay(10, limit.Token);
        }
    }
}
