using System.Net.Http.Headers;
using System.Text.Json;
using Herald.Cli.Tests.Infrastructure;
using Herald.Redis.Tests.Infrastructure;
using Herald.Tests.Infrastructure;

namespace Herald.Redis.Tests;

/// <summary>Two <c>herald serve</c> nodes on one Redis, both bridging one topic: one upstream poller between them.</summary>
public sealed class BridgeClusterTests : IAsyncLifetime
{
    private const string Topic = "https://example.com/bundle";
    private readonly string _subscriberToken = Tokens.Create(HeraldProcess.Key, subscribe: [Topic]);
    private readonly string _statsToken = Tokens.Create(HeraldProcess.Key, subscribe: ["/.well-known/mercure/stats"]);
    private Cluster _cluster = null!;
    private Upstream _upstream = null!;

    [Fact]
    public async Task Nodes_poll_a_bridged_topic_once_between_them_and_hand_it_over_when_the_poller_loses_its_subscribers()
    {
        var bridge = $"{Topic}={_upstream.DocUrl}@300ms";
        var (_, a) = await _cluster.StartNodeAsync("--bridge", bridge);
        var (_, b) = await _cluster.StartNodeAsync("--bridge", bridge);

        var onA = await SseStream.OpenAsync(a, Cluster.HubPath, [Topic], _subscriberToken, null);
        var onB = await SseStream.OpenAsync(b, Cluster.HubPath, [Topic], _subscriberToken, null);
        Assert.Equal("{\"v\":1}", (await onA.NextAsync()).Data);
        Assert.Equal("{\"v\":1}", (await onB.NextAsync()).Data);
        await _upstream.WaitForRequestsAsync(_upstream.Requests + 4);

        // Exactly one node polls; the other made no request at all. (A request the upstream counted may not be in the
        // poller's stats yet: it counts a request once answered.)
        var seenBefore = _upstream.Requests;
        var (pollingA, requestsA) = await BridgeAsync(a);
        var (pollingB, requestsB) = await BridgeAsync(b);
        Assert.True(pollingA ^ pollingB, $"polling: a {pollingA}, b {pollingB}");
        Assert.Equal(0, Math.Min(requestsA, requestsB));
        Assert.InRange(requestsA + requestsB, seenBefore - 1, _upstream.Requests);

        // The poller's subscribers leave: it gives the lease up, the other node takes over and changes still arrive.
        var (poller, follower) = pollingA ? (a, b) : (b, a);
        var (leaving, staying) = pollingA ? (onA, onB) : (onB, onA);
        await leaving.DisposeAsync();
        using (var limit = new CancellationTokenSource(HeraldProcess.WaitLimit))
        {
            while (!(await BridgeAsync(follower)).Polling)
            {
                // The stats report has no event to await: a short poll until the lease changed hands.
                await Task.Delay(50, limit.Token);
            }
        }

        Assert.False((await BridgeAsync(poller)).Polling);
        _upstream.Body = "{\"v\":2}";
        Assert.Equal("{\"v\":2}", (await staying.NextAsync()).Data);
        await staying.DisposeAsync();
    }

    private async Task<(bool Polling, long Requests)> BridgeAsync(HttpClient node)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Cluster.HubPath + "/stats");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _statsToken);
        using var response = await node.SendAsync(request);
        var bridge = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("bridges")[0];
        return (bridge.GetProperty("polling").GetBoolean(), bridge.GetProperty("requests").GetInt64());
    }

    public async Task InitializeAsync()
    {
        _cluster = await Cluster.StartAsync();
        _upstream = await Upstream.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
