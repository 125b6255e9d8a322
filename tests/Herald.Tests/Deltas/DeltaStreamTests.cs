using System.Net;
using Herald.Deltas;
using Herald.Tests.Infrastructure;
using Herald.Tests.Shared;

namespace Herald.Tests.Deltas;

/// <summary>
/// Deltas on the wire, against the real hub: a subscriber that asks with <c>herald-delta</c> rebuilds, update after
/// update, exactly the documents published, from whole values and patches against a base it has; everyone else gets
/// whole updates.
/// </summary>
public sealed class DeltaStreamTests
{
    private const string Topic = "https://example.com/bots";
    private const string DeltaPath = TestHub.HubPath + "?" + JsonDelta.QueryParameter + "=" + JsonDelta.AllFormats;

    [Theory]
    [InlineData(true, JsonDelta.MergePatch)]
    [InlineData(false, JsonDelta.JsonPatch)]
    public async Task Both_bundle_shapes_are_rebuilt_exactly_update_after_update(bool keyed, string expectedFormat)
    {
        await using var hub = await TestHub.StartAsync();
        var bundles = new Bundles(keyed);
        var published = new Dictionary<string, string> { ["v0"] = bundles.Next() };
        await PublishRetainedAsync(hub, "v0", published["v0"]);

        await using var stream = await SubscribeAsync(hub);
        await using var plain = await hub.SubscribeAsync([Topic]);
        var replica = new DeltaReplica(stream);
        DeltaReplica.AssertSameJson(published["v0"], (await replica.ValueOfAsync("v0")).Value);
        for (var i = 1; i <= 8; i++)
        {
            var id = "v" + i;
            published[id] = bundles.Next();
            await PublishRetainedAsync(hub, id, published[id]);
            var (frame, value) = await replica.ValueOfAsync(id);
            DeltaReplica.AssertSameJson(published[id], value);
            if (i == 1)
            {
                // The first live value after the snapshot: the hub has no base it knows this stream holds.
                Assert.Null(frame.Delta);
            }
            else
            {
                Assert.Equal($"{expectedFormat} v{i - 1}", frame.Delta);
                Assert.True(frame.Bytes * 10 < published[id].Length, $"a delta of {frame.Bytes} bytes for a document of {published[id].Length}");
            }
        }

        // The plain subscriber received every update whole: no Herald field reaches it.
        await plain.WaitForRawAsync("id: v8\n");
        Assert.DoesNotContain(JsonDelta.Field, plain.RawText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reconnect_and_a_gap_get_the_whole_value_first_then_deltas_against_it()
    {
        await using var hub = await TestHub.StartAsync(o => o.HistoryMaxCount = 4);
        var bundles = new Bundles(keyed: false, bots: 300);
        var published = new Dictionary<string, string>();
        async Task PublishAsync(int i)
        {
            published["v" + i] = bundles.Next();
            await PublishRetainedAsync(hub, "v" + i, published["v" + i]);
        }

        await PublishAsync(0);
        await using (var first = await SubscribeAsync(hub))
        {
            var replica = new DeltaReplica(first);
            await replica.ValueOfAsync("v0");
            for (var i = 1; i <= 3; i++)
            {
                await PublishAsync(i);
                DeltaReplica.AssertSameJson(published["v" + i], (await replica.ValueOfAsync("v" + i)).Value);
            }

            Assert.NotNull(replica.Frames[^1].Delta);
        }

        // Away for one update: the replay sends it whole, the next live one is whole too, then deltas again.
        await PublishAsync(4);
        await using (var second = await SubscribeAsync(hub, lastEventId: "v3"))
        {
            var replica = new DeltaReplica(second);
            var (replayed, value) = await replica.ValueOfAsync("v4");
            Assert.Null(replayed.Delta);
            DeltaReplica.AssertSameJson(published["v4"], value);
            await PublishAsync(5);
            await PublishAsync(6);
            Assert.Null((await replica.ValueOfAsync("v5")).Frame.Delta);
            var (delta, rebuilt) = await replica.ValueOfAsync("v6");
            Assert.Equal(JsonDelta.JsonPatch + " v5", delta.Delta);
            DeltaReplica.AssertSameJson(published["v6"], rebuilt);
        }

        // Away past the history (4 updates kept): a gap, and the latest value comes whole before anything else.
        for (var i = 7; i <= 12; i++)
        {
            await PublishAsync(i);
        }

        await using var third = await SubscribeAsync(hub, lastEventId: "v6");
        Assert.Equal("earliest", third.Response.Headers.GetValues("Last-Event-ID").Single());
        var after = new DeltaReplica(third);
        var (frame, latest) = await after.ValueOfAsync("v12");
        Assert.All(after.Frames, f => Assert.Null(f.Delta));
        DeltaReplica.AssertSameJson(published["v12"], latest);
    }

    [Fact]
    public async Task A_delta_never_goes_against_a_private_value_the_subscriber_could_not_see()
    {
        await using var hub = await TestHub.StartAsync();
        var bundles = new Bundles(keyed: true, bots: 200);
        var published = new Dictionary<string, string>();
        await using var granted = await SubscribeAsync(hub, token: hub.SubscriberToken(Topic));
        await using var other = await SubscribeAsync(hub, token: hub.SubscriberToken("https://example.com/other"));
        var grantedReplica = new DeltaReplica(granted);
        var otherReplica = new DeltaReplica(other);
        for (var i = 0; i <= 4; i++)
        {
            published["v" + i] = bundles.Next();
            await PublishRetainedAsync(hub, "v" + i, published["v" + i], isPrivate: i == 2);
        }

        for (var i = 0; i <= 4; i++)
        {
            DeltaReplica.AssertSameJson(published["v" + i], (await grantedReplica.ValueOfAsync("v" + i)).Value);
        }

        Assert.Equal(JsonDelta.MergePatch + " v2", grantedReplica.Frames[3].Delta);
        foreach (var id in (string[])["v0", "v1", "v3", "v4"])
        {
            DeltaReplica.AssertSameJson(published[id], (await otherReplica.ValueOfAsync(id)).Value);
        }

        // v3 came after a value it did not see: whole, and nothing on its stream names v2.
        Assert.Null(otherReplica.Frames[2].Delta);
        Assert.Equal(JsonDelta.MergePatch + " v3", otherReplica.Frames[3].Delta);
        Assert.DoesNotContain("v2", other.RawText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Multi_topic_non_json_and_malformed_updates_go_whole_and_reset_the_base()
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await SubscribeAsync(hub, topics: [Topic, "https://example.com/alt"]);
        var replica = new DeltaReplica(stream);
        var big = """{"a":"__________________________________________________","b":1}""";
        var changed = big.Replace("\"b\":1", "\"b\":2", StringComparison.Ordinal);
        await PublishRetainedAsync(hub, "j1", big);
        await PublishRetainedAsync(hub, "j2", changed);
        await PublishRetainedAsync(hub, "j3", big);
        Assert.Equal(JsonDelta.MergePatch + " j2", (await replica.ValueOfAsync("j3")).Frame.Delta);

        using (var response = await hub.PostAsync([new("topic", Topic), new("topic", "https://example.com/alt"), new("data", changed), new("retain", "on"), new("id", "multi")]))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await PublishRetainedAsync(hub, "j4", big);
        await PublishRetainedAsync(hub, "text", "not json, {\"a\":1}");
        await PublishRetainedAsync(hub, "j5", changed);
        await PublishRetainedAsync(hub, "broken", "{\"a\":");
        await PublishRetainedAsync(hub, "j6", big);
        await PublishRetainedAsync(hub, "j7", changed);
        foreach (var id in (string[])["multi", "j4", "text", "j5", "broken", "j6"])
        {
            Assert.Null((await replica.ValueOfAsync(id)).Frame.Delta);
        }

        var (frame, value) = await replica.ValueOfAsync("j7");
        Assert.Equal(JsonDelta.MergePatch + " j6", frame.Delta);
        DeltaReplica.AssertSameJson(changed, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("unknown-format")]
    [InlineData("%00%0a%e2%80%a8")]
    public async Task A_parameter_naming_no_known_format_gets_whole_updates(string value)
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await SseStream.OpenAsync(hub.Client, TestHub.HubPath + "?" + JsonDelta.QueryParameter + "=" + value, [Topic], hub.SubscriberToken("*"), null);
        for (var i = 0; i < 3; i++)
        {
            await PublishRetainedAsync(hub, "v" + i, """{"a":"__________________________________________________","n":""" + i + "}");
        }

        await stream.WaitForRawAsync("id: v2\n");
        Assert.DoesNotContain(JsonDelta.Field, stream.RawText, StringComparison.Ordinal);
    }

    private static Task<SseStream> SubscribeAsync(TestHub hub, string? token = null, string? lastEventId = null, string[]? topics = null) =>
        SseStream.OpenAsync(hub.Client, DeltaPath, topics ?? [Topic], token ?? hub.SubscriberToken("*"), lastEventId);

    private static async Task PublishRetainedAsync(TestHub hub, string id, string data, bool isPrivate = false)
    {
        var fields = new List<KeyValuePair<string, string>> { new("topic", Topic), new("data", data), new("retain", "on"), new("id", id) };
        if (isPrivate)
        {
            fields.Add(new("private", "on"));
        }

        using var response = await hub.PostAsync(fields);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"publish failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
