using System.Net;
using System.Net.Http.Headers;
using Herald.Cli.Tests.Infrastructure;
using Herald.Deltas;
using Herald.Redis.Tests.Infrastructure;
using Herald.Tests.Deltas;
using Herald.Tests.Infrastructure;
using Herald.Tests.Shared;

namespace Herald.Redis.Tests;

/// <summary>
/// Deltas with two nodes on one Redis: each node patches against what it dispatched itself, so subscribers on either
/// node rebuild every document exactly, whichever node took the publish, and one that moves to the other node starts
/// there from a whole value.
/// </summary>
public sealed class ClusterDeltaTests : IAsyncLifetime
{
    private const string Topic = "https://example.com/bots";
    private const string DeltaPath = Cluster.HubPath + "?" + JsonDelta.QueryParameter + "=" + JsonDelta.AllFormats;

    private readonly string _subscriberToken = Tokens.Create(HeraldProcess.Key, subscribe: ["*"]);
    private Cluster _cluster = null!;

    [Fact]
    public async Task Subscribers_on_both_nodes_rebuild_every_document_and_a_move_to_the_other_node_starts_whole()
    {
        var (_, a) = await _cluster.StartNodeAsync();
        var (_, b) = await _cluster.StartNodeAsync();
        var bundles = new Bundles(keyed: false, bots: 400);
        var published = new Dictionary<string, string>();
        async Task PublishAsync(int i)
        {
            published["v" + i] = bundles.Next();
            var request = new HttpRequestMessage(HttpMethod.Post, Cluster.HubPath)
            {
                Content = new FormUrlEncodedContent([new("topic", Topic), new("id", "v" + i), new("data", published["v" + i]), new("retain", "on")]),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _cluster.PublisherToken);
            using var response = await (i % 2 == 0 ? a : b).SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await using var onA = await SseStream.OpenAsync(a, DeltaPath, [Topic], _subscriberToken, null);
        await using (var onB = await SseStream.OpenAsync(b, DeltaPath, [Topic], _subscriberToken, null))
        {
            var replicas = new[] { new DeltaReplica(onA), new DeltaReplica(onB) };
            for (var i = 0; i <= 5; i++)
            {
                await PublishAsync(i);
                foreach (var replica in replicas)
                {
                    var (frame, value) = await replica.ValueOfAsync("v" + i);
                    DeltaReplica.AssertSameJson(published["v" + i], value);
                    Assert.Equal(i == 0 ? null : $"{JsonDelta.JsonPatch} v{i - 1}", frame.Delta);
                }
            }
        }

        // The subscriber of B moves to A, resuming after v5: what it missed comes whole, then deltas against it.
        await PublishAsync(6);
        await using var moved = await SseStream.OpenAsync(a, DeltaPath, [Topic], _subscriberToken, "v5");
        var after = new DeltaReplica(moved);
        var (first, whole) = await after.ValueOfAsync("v6");
        Assert.Null(first.Delta);
        DeltaReplica.AssertSameJson(published["v6"], whole);
        await PublishAsync(7);
        await PublishAsync(8);
        // v7 is whole, or a delta against v6 when A's dispatcher queued v6 to this stream after it registered (the
        // writer skips that copy as replayed; the client has v6 from the replay): either way the client rebuilds it.
        var (seventh, value7) = await after.ValueOfAsync("v7");
        Assert.True(seventh.Delta is null || seventh.Delta == $"{JsonDelta.JsonPatch} v6", seventh.Delta);
        DeltaReplica.AssertSameJson(published["v7"], value7);
        var (delta, value8) = await after.ValueOfAsync("v8");
        Assert.Equal($"{JsonDelta.JsonPatch} v7", delta.Delta);
        DeltaReplica.AssertSameJson(published["v8"], value8);
    }

    public async Task InitializeAsync() => _cluster = await Cluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();
}
