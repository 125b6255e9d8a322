using System.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Herald.Tests.Storage;

public sealed class SqliteHubTests : IDisposable
{
    /// <summary>A publish that takes this long is hanging: the writer loop is gone.</summary>
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task A_subscriber_resumes_across_a_hub_restart()
    {
        var store = "sqlite:" + _dir.File("history.db");
        string seen;
        await using (var hub = await TestHub.StartAsync(o => o.Store = store))
        {
            seen = await hub.PublishAsync("t", "before");
            await hub.PublishAsync("t", "missed one");
            await hub.PublishAsync("t", "missed two");
        }

        await using var restarted = await TestHub.StartAsync(o => o.Store = store);
        await using var stream = await restarted.SubscribeAsync(["t"], lastEventId: seen);
        await restarted.PublishAsync("t", "after restart");

        Assert.Equal(seen, Assert.Single(stream.Response.Headers.GetValues("Last-Event-ID")));
        Assert.Equal(["missed one", "missed two", "after restart"], (await stream.ReadUntilDataAsync("after restart")).Select(e => e.Data));
    }

    [Fact]
    public async Task Idempotent_publish_holds_across_a_restart()
    {
        var store = "sqlite:" + _dir.File("history.db");
        await using (var hub = await TestHub.StartAsync(o => o.Store = store))
        {
            await hub.PublishAsync("t", "content", id: "order-1");
        }

        await using var restarted = await TestHub.StartAsync(o => o.Store = store);
        using var same = await restarted.PostAsync([new("topic", "t"), new("data", "content"), new("id", "order-1")]);
        using var different = await restarted.PostAsync([new("topic", "t"), new("data", "changed"), new("id", "order-1")]);

        Assert.Equal((HttpStatusCode.OK, "order-1"), (same.StatusCode, await same.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Conflict, different.StatusCode);
    }

    [Fact]
    public async Task While_the_file_is_locked_publishes_get_503_and_subscribers_keep_their_stream()
    {
        var path = _dir.File("history.db");
        await using var hub = await TestHub.StartAsync(o => o.Store = "sqlite:" + path);
        await using var stream = await hub.SubscribeAsync(["t"]);
        await hub.PublishAsync("t", "first");
        Assert.Equal("first", (await stream.NextAsync()).Data);

        using (var intruder = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            intruder.Open();
            using (var begin = intruder.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                begin.ExecuteNonQuery();
            }

            using var refused = await hub.PostAsync([new("topic", "t"), new("data", "while locked"), new("id", "locked-1")]);
            var reason = await refused.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("not stored", reason);
            Assert.Contains("locked", reason);
        }

        await hub.PublishAsync("t", "after unlock");
        Assert.Equal("after unlock", (await stream.NextAsync()).Data);
        Assert.False(stream.Completion.IsCompleted);
        Assert.DoesNotContain("while locked", stream.RawText);
    }

    [Fact]
    public async Task A_damaged_row_fails_only_the_batch_that_reads_it_and_replay_passes_over_it()
    {
        var path = _dir.File("history.db");
        await using (var hub = await TestHub.StartAsync(o => o.Store = "sqlite:" + path))
        {
            await hub.PublishAsync("t", "content", id: "order-1");
        }

        // Another program damages the retained row: reading it back fails with a JSON error, not a SQLite one.
        using (var other = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            other.Open();
            using var damage = other.CreateCommand();
            damage.CommandText = "UPDATE updates SET topics = '[' WHERE id = 'order-1'";
            damage.ExecuteNonQuery();
        }

        await using var restarted = await TestHub.StartAsync(o => o.Store = "sqlite:" + path);
        await using var stream = await restarted.SubscribeAsync(["t"]);

        // The retry must look the damaged row up: its batch fails, and its publisher hears why.
        using var retry = await restarted.PostAsync([new("topic", "t"), new("data", "content"), new("id", "order-1")]).WaitAsync(WaitLimit);
        var reason = await retry.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, retry.StatusCode);
        Assert.Contains("not stored", reason);
        Assert.Contains("unexpected JsonException", reason);

        // The writer survived it: the next publish is committed and delivered.
        using var next = await restarted.PostAsync([new("topic", "t"), new("data", "after"), new("id", "order-2")]).WaitAsync(WaitLimit);
        Assert.Equal((HttpStatusCode.OK, "order-2"), (next.StatusCode, await next.Content.ReadAsStringAsync()));
        Assert.Equal("after", (await stream.NextAsync()).Data);

        // A replay passes over the damaged row instead of failing every client that resumes from before it.
        await using var replay = await restarted.SubscribeAsync(["t"], lastEventId: "earliest");
        Assert.Equal(["order-2"], (await replay.ReadUntilDataAsync("after")).Select(e => e.EventId));
    }

    public void Dispose() => _dir.Dispose();
}
