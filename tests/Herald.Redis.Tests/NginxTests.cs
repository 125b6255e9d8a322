using System.Net;
using Herald.Cli.Tests.Infrastructure;
using Herald.Redis.Tests.Infrastructure;
using Herald.Tests.Infrastructure;

namespace Herald.Redis.Tests;

/// <summary>The deploy example as documented: nginx round-robin over two nodes, no sticky sessions.</summary>
public sealed class NginxTests : IAsyncLifetime
{
    private readonly string _subscriberToken = Tokens.Create(HeraldProcess.Key, subscribe: ["*"]);
    private Cluster _cluster = null!;

    [Fact]
    public async Task Two_nodes_behind_the_example_nginx_config_behave_as_one_hub()
    {
        var (_, a) = await _cluster.StartNodeAsync();
        var (_, b) = await _cluster.StartNodeAsync();
        await using var nginx = Nginx.Start(a.BaseAddress!, b.BaseAddress!);
        using var proxy = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{nginx.Port}"), Timeout = Timeout.InfiniteTimeSpan };
        await Cluster.WaitForReadyAsync(proxy, HttpStatusCode.OK);

        // Subscribers and publishes are spread over both nodes by round robin; everyone sees every update in one order.
        var streams = new List<SseStream>();
        for (var i = 0; i < 4; i++)
        {
            streams.Add(await SseStream.OpenAsync(proxy, Cluster.HubPath, ["t"], _subscriberToken, null));
        }

        var ids = Enumerable.Range(0, 10).Select(i => $"n{i}").ToList();
        foreach (var id in ids)
        {
            Assert.Equal(HttpStatusCode.OK, await _cluster.PublishStatusAsync(proxy, id, "data " + id));
        }

        foreach (var stream in streams)
        {
            Assert.Equal(ids, (await stream.ReadUntilDataAsync("data n9")).Select(e => e.EventId));
            await stream.DisposeAsync();
        }

        // Resuming through the proxy lands on either node and replays from the id.
        await using var resumed = await SseStream.OpenAsync(proxy, Cluster.HubPath, ["t"], _subscriberToken, "n4");
        Assert.Equal(ids.Skip(5), (await resumed.ReadUntilDataAsync("data n9")).Select(e => e.EventId));
    }

    public async Task InitializeAsync() => _cluster = await Cluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();
}
