using System.Globalization;
using System.Net;
using Herald.Http;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Http;

/// <summary>Connection limits (503 + jittered Retry-After, never evicting), client addresses behind proxies, replay bounds.</summary>
public sealed class AdmissionTests
{
    private const string Topic = "https://example.com/books/1";

    [Fact]
    public async Task Over_the_total_limit_a_newcomer_gets_503_with_Retry_After_and_open_streams_keep_receiving()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxConnections = 2);
        await using var first = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic));
        await using var second = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic));

        using var refused = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new("Bearer", hub.SubscriberToken(Topic)));

        Assert.Contains("limit of 2", await refused.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable));
        AssertJitteredRetryAfter(refused);
        await hub.PublishAsync(Topic, "still here");
        Assert.Equal("still here", (await first.NextAsync()).Data);
        Assert.Equal("still here", (await second.NextAsync()).Data);
    }

    [Fact]
    public async Task A_long_poll_counts_against_the_same_limit_as_streams()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxConnections = 1);
        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic));

        using var poll = new HttpRequestMessage(HttpMethod.Get, $"{TestHub.HubPath}/poll?topic={Uri.EscapeDataString(Topic)}&timeout=0");
        poll.Headers.Authorization = new("Bearer", hub.SubscriberToken(Topic));
        using var refused = await hub.Client.SendAsync(poll);

        Assert.Contains("limit of 1", await refused.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable));
        AssertJitteredRetryAfter(refused);
    }

    [Fact]
    public async Task A_closed_stream_frees_its_place()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxConnections = 1);
        var limiter = hub.Services.GetRequiredService<ConnectionLimiter>();
        await using (await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic)))
        {
            Assert.Equal(1, limiter.Open);
        }

        await Eventually(() => limiter.Open == 0);
        await using var again = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic));
    }

    [Fact]
    public async Task Over_the_per_address_limit_a_newcomer_gets_503()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxConnectionsPerIp = 1);
        await using var first = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic));

        using var refused = await SubscribeFromAsync(hub, forwardedFor: null);

        Assert.Contains("per address", await refused.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable));
        AssertJitteredRetryAfter(refused);
    }

    [Fact]
    public async Task A_spoofed_X_Forwarded_For_from_an_untrusted_peer_changes_nothing()
    {
        // The test client is 127.0.0.1, which is not listed: its X-Forwarded-For is ignored (ASP.NET's loopback default is cleared).
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.MaxConnectionsPerIp = 1;
            o.TrustedProxies = ["10.0.0.0/8"];
        });
        using var first = await SubscribeFromAsync(hub, "203.0.113.1");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var second = await SubscribeFromAsync(hub, "203.0.113.2");

        await second.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task X_Forwarded_For_from_a_trusted_proxy_is_the_client_address()
    {
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.MaxConnectionsPerIp = 1;
            o.TrustedProxies = ["127.0.0.1/32"];
        });
        using var first = await SubscribeFromAsync(hub, "203.0.113.1");
        using var otherClient = await SubscribeFromAsync(hub, "203.0.113.2");
        using var sameClient = await SubscribeFromAsync(hub, "198.51.100.9, 203.0.113.1");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherClient.StatusCode);

        // The rightmost entry was added by the trusted proxy; whatever the client put before it is not believed.
        await sameClient.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task A_replay_longer_than_max_replay_sends_the_newest_and_answers_earliest()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxReplay = 3);
        var ids = new List<string>();
        for (var i = 1; i <= 6; i++)
        {
            ids.Add(await hub.PublishAsync(Topic, "update " + i));
        }

        await using var replay = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic), lastEventId: ids[0]);

        Assert.Equal("earliest", replay.Response.Headers.GetValues("Last-Event-ID").Single());
        var seen = await replay.ReadUntilDataAsync("update 6");
        Assert.Equal(["update 4", "update 5", "update 6"], seen.Select(e => e.Data));
    }

    [Fact]
    public async Task A_replay_within_max_replay_is_complete_and_echoes_the_id()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxReplay = 5);
        var ids = new List<string>();
        for (var i = 1; i <= 6; i++)
        {
            ids.Add(await hub.PublishAsync(Topic, "update " + i));
        }

        await using var replay = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic), lastEventId: ids[0]);

        Assert.Equal(ids[0], replay.Response.Headers.GetValues("Last-Event-ID").Single());
        var seen = await replay.ReadUntilDataAsync("update 6");
        Assert.Equal(5, seen.Count);
    }

    [Fact]
    public async Task Replays_beyond_the_concurrency_bound_wait_their_turn_and_all_complete()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxConcurrentReplays = 1);
        var first = await hub.PublishAsync(Topic, "one");
        await hub.PublishAsync(Topic, "two");

        var replays = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic), lastEventId: first)));

        foreach (var replay in replays)
        {
            Assert.Equal("two", (await replay.NextAsync()).Data);
            await replay.DisposeAsync();
        }
    }

    private static void AssertJitteredRetryAfter(HttpResponseMessage response)
    {
        var seconds = int.Parse(response.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(seconds, (int)ConnectionLimiter.RetryAfterMin.TotalSeconds, (int)ConnectionLimiter.RetryAfterMax.TotalSeconds);
    }

    /// <summary>A subscription on its own client (its own connection), optionally claiming to be forwarded.</summary>
    private static async Task<HttpResponseMessage> SubscribeFromAsync(TestHub hub, string? forwardedFor)
    {
        var token = hub.SubscriberToken(Topic);
        var client = hub.ClientWith(r =>
        {
            r.Headers.Authorization = new("Bearer", token);
            if (forwardedFor is not null)
            {
                r.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
            }
        });
        return await client.GetAsync(TestHub.HubPath + "?" + HubRequests.TopicQuery(Topic), HttpCompletionOption.ResponseHeadersRead).WaitAsync(SseStream.WaitLimit);
    }

    /// <summary>Waits for a condition the hub reaches asynchronously (a closed connection noticed), failing after the usual limit.</summary>
    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + SseStream.WaitLimit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(10);
        }
    }
}
