using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Herald.Cli.Tests.Infrastructure;
using Herald.Redis.Tests.Infrastructure;
using Herald.Tests.Infrastructure;

namespace Herald.Redis.Tests;

/// <summary>
/// The subscriptions API of two real <c>herald serve --subscriptions</c> nodes on one Redis: either node lists the
/// cluster's subscriptions, events from both reach a watcher on either, and a SIGKILLed node's subscriptions are
/// announced closed and vanish once its lease lapses.
/// </summary>
public sealed class ClusterSubscriptionsTests : IAsyncLifetime
{
    private const string Api = Cluster.HubPath + "/subscriptions";
    private const string EventsTemplate = "/.well-known/mercure/subscriptions/{topic}/{subscriber}";

    /// <summary>Short, so the test waits seconds for a dead node's lease, not the default 15.</summary>
    private static readonly Dictionary<string, string> ShortLease = new() { ["HERALD_SUBSCRIPTIONSLEASE"] = "2s" };

    private readonly string _admin = Tokens.Create(HeraldProcess.Key, subscribe: ["/.well-known/mercure/subscriptions{/topic}{/subscriber}"]);
    private readonly string _subscriber = Tokens.Create(HeraldProcess.Key, subscribe: []);
    private Cluster _cluster = null!;

    [Fact]
    public async Task Either_node_lists_both_nodes_subscriptions_and_a_killed_nodes_vanish_within_its_lease()
    {
        var (nodeA, a) = await _cluster.StartNodeAsync(ShortLease, "--subscriptions");
        var (_, b) = await _cluster.StartNodeAsync(ShortLease, "--subscriptions");
        await using var watcher = await SseStream.OpenAsync(b, Cluster.HubPath, [EventsTemplate], _admin, null);
        Assert.Equal((EventsTemplate, true), Change(await watcher.NextAsync()));

        await using var onA = await SseStream.OpenAsync(a, Cluster.HubPath, ["on-a"], _subscriber, null);
        await using var onB = await SseStream.OpenAsync(b, Cluster.HubPath, ["on-b"], _subscriber, null);
        var opened = new[] { Change(await watcher.NextAsync()), Change(await watcher.NextAsync()) };
        Assert.Equal([("on-a", true), ("on-b", true)], opened.OrderBy(c => c.Topic));

        var listedByA = await ListAsync(a);
        var listedByB = await ListAsync(b);
        Assert.Equal(Topics(listedByA), Topics(listedByB));
        Assert.Equal([EventsTemplate, "on-a", "on-b"], Topics(listedByA).Order(StringComparer.Ordinal));
        Assert.Equal(listedByA["lastEventID"]!.GetValue<string>(), listedByB["lastEventID"]!.GetValue<string>());

        nodeA.Kill();

        // A survivor announces the dead node's subscription closed once its lease lapses, and the list drops it.
        Assert.Equal(("on-a", false), Change(await watcher.NextAsync()));
        Assert.Equal([EventsTemplate, "on-b"], Topics(await ListAsync(b)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_list_read_on_one_node_and_resumed_on_the_other_misses_no_change()
    {
        var (_, a) = await _cluster.StartNodeAsync(ShortLease, "--subscriptions");
        var (_, b) = await _cluster.StartNodeAsync(ShortLease, "--subscriptions");
        await using var watcher = await SseStream.OpenAsync(b, Cluster.HubPath, [EventsTemplate], _admin, null);
        await watcher.NextAsync();

        var list = await ListAsync(a);
        var first = await SseStream.OpenAsync(a, Cluster.HubPath, ["one"], _subscriber, null);
        await watcher.NextAsync();
        await first.DisposeAsync();
        await watcher.NextAsync();

        await using var resumed = await SseStream.OpenAsync(b, Cluster.HubPath, [EventsTemplate], _admin, list["lastEventID"]!.GetValue<string>());
        Assert.Equal(("one", true), Change(await resumed.NextAsync()));
        Assert.Equal(("one", false), Change(await resumed.NextAsync()));
    }

    public async Task InitializeAsync() => _cluster = await Cluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static (string Topic, bool Active) Change(System.Net.ServerSentEvents.SseItem<string> item)
    {
        var document = JsonNode.Parse(item.Data)!;
        return (document["topic"]!.GetValue<string>(), document["active"]!.GetValue<bool>());
    }

    private static string[] Topics(JsonNode list) =>
        list["subscriptions"]!.AsArray().Select(s => s!["topic"]!.GetValue<string>()).ToArray();

    private async Task<JsonNode> ListAsync(HttpClient node)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Api);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _admin);
        using var response = await node.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }
}
