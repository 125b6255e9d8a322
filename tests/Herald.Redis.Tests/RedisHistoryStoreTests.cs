using Herald.Redis.Tests.Infrastructure;
using Herald.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Herald.Redis.Tests;

/// <summary>
/// What only the Redis store has, against a real Redis: two nodes on one history, outages, entries it did not write,
/// a history that went back, older and newer entry formats (the rest is the contract).
/// </summary>
public sealed class RedisHistoryStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(15);
    private static readonly HistoryLimits Roomy = new(10_000, TimeSpan.FromDays(1), 64L * 1024 * 1024);

    private readonly List<RedisHistoryStore> _stores = [];
    private RedisServer _redis = null!;

    [Fact]
    public async Task Idempotence_holds_across_two_nodes()
    {
        var (a, b) = (Open(), Open());
        var stored = await a.AppendAsync(Update("shared", "x"), default);

        Assert.Equal(new AppendResult(AppendStatus.Duplicate, "shared", stored.Position), await b.AppendAsync(Update("shared", "x"), default));
        Assert.Equal(AppendStatus.Conflict, (await b.AppendAsync(Update("shared", "y"), default)).Status);
        Assert.Single(await b.ReadAfterAsync(0, 10, default));
    }

    [Fact]
    public async Task Every_node_sees_one_generation_until_redis_is_emptied()
    {
        var (a, b) = (Open(), Open());
        await a.AppendAsync(Update("a", "one"), default);
        var generation = await a.GetGenerationAsync(default);
        Assert.Equal(generation, await b.GetGenerationAsync(default));

        await _redis.FlushAllAsync();
        await b.AppendAsync(Update("b", "two"), default);

        // Positions started over, so the history is another one; both nodes agree on its name.
        Assert.Equal(1, await b.GetHeadAsync(default));
        var next = await a.GetGenerationAsync(default);
        Assert.NotEqual(generation, next);
        Assert.Equal(next, await b.GetGenerationAsync(default));
    }

    [Fact]
    public async Task Every_node_feed_yields_every_append_in_order_once()
    {
        var (a, b) = (Open(), Open());
        var feedA = StartFeed(a, 40);
        var feedB = StartFeed(b, 40);
        await WaitUntilReady(a);
        await WaitUntilReady(b);

        // Both nodes publish concurrently: both feeds must still agree on one order.
        await Task.WhenAll(
            Task.Run(async () =>
            {
                for (var i = 0; i < 20; i++)
                {
                    await a.AppendAsync(Update($"a{i}", "x"), default);
                }
            }),
            Task.Run(async () =>
            {
                for (var i = 0; i < 20; i++)
                {
                    await b.AppendAsync(Update($"b{i}", "x"), default);
                }
            }));

        var seenA = await feedA.WaitAsync(WaitLimit);
        var seenB = await feedB.WaitAsync(WaitLimit);
        Assert.Equal(seenA.Select(s => s.Position), seenB.Select(s => s.Position));
        Assert.Equal(40, seenA.Select(s => s.Update.Id).Distinct().Count());
        Assert.Equal(seenA.Select(s => s.Position).Order(), seenA.Select(s => s.Position));
        Assert.Equal((await a.ReadAfterAsync(0, 100, default)).Select(s => s.Position), seenA.Select(s => s.Position));
    }

    [Fact]
    public async Task The_feed_resumes_from_its_last_position_after_a_redis_restart()
    {
        var (a, b) = (Open(), Open());
        var feed = StartFeed(a, 3);
        await WaitUntilReady(a);
        await a.AppendAsync(Update("before", "x"), default);

        await _redis.KillAsync();
        await Assert.ThrowsAsync<HistoryStoreException>(async () => await b.AppendAsync(Update("while-down", "x"), default));
        Assert.NotNull(a.Unavailable);

        await _redis.RestartAsync();
        await AppendWhenBackAsync(b, Update("after-1", "x"));
        await b.AppendAsync(Update("after-2", "x"), default);

        Assert.Equal(["before", "after-1", "after-2"], (await feed.WaitAsync(WaitLimit)).Select(s => s.Update.Id));
        await WaitUntilReady(a);
    }

    [Fact]
    public async Task Entries_herald_did_not_write_are_skipped_by_the_feed_and_replay_and_appends_continue_after_them()
    {
        var store = Open();
        var feed = StartFeed(store, 2);
        await WaitUntilReady(store);
        await store.AppendAsync(Update("before", "x"), default);

        // As an operator's mistake would: foreign fields, Herald's fields damaged, an id that is no position.
        await _redis.CliAsync("XADD", "herald:stream", "2-0", "foo", "bar");
        await _redis.CliAsync("XADD", "herald:stream", "5-0", "i", "damaged", "p", "{not json", "t", "1");
        await _redis.CliAsync("XADD", "herald:stream", "6-1", "i", "odd", "p", """{"t":["t"],"d":""}""", "t", "1");
        var after = await store.AppendAsync(Update("after", "x"), default);

        Assert.Equal(AppendStatus.Appended, after.Status);
        Assert.True(after.Position > 6, $"appended at {after.Position}, under an entry already in the stream");
        Assert.Equal(["before", "after"], (await feed.WaitAsync(WaitLimit)).Select(s => s.Update.Id));
        Assert.Equal(["before", "after"], (await store.ReadAfterAsync(0, 10, default)).Select(s => s.Update.Id));

        // A page is filled past the skipped entries, so a replay reading page by page never stops early.
        Assert.Equal(["after"], (await store.ReadAfterAsync(1, 1, default)).Select(s => s.Update.Id));
        Assert.Equal(after.Position, await store.FindPositionAsync("after", default));
        Assert.Null(store.Unavailable);
    }

    [Fact]
    public async Task Readiness_says_so_while_the_feed_cannot_advance()
    {
        var store = Open();
        var feed = StartFeed(store, 2);
        await WaitUntilReady(store);
        await store.AppendAsync(Update("before", "x"), default);

        // The stream key replaced by another type: Redis is reachable, yet nothing can be read from it.
        await _redis.CliAsync("RENAME", "herald:stream", "herald:stash");
        await _redis.CliAsync("SET", "herald:stream", "not a stream");
        await _redis.CliAsync("PUBLISH", "herald:appended", "nudge");
        await WaitUntilAsync(() => store.Unavailable is not null);
        Assert.Contains("feed", store.Unavailable);

        await _redis.CliAsync("DEL", "herald:stream");
        await _redis.CliAsync("RENAME", "herald:stash", "herald:stream");
        await store.AppendAsync(Update("after", "x"), default);
        Assert.Equal(["before", "after"], (await feed.WaitAsync(WaitLimit)).Select(s => s.Update.Id));
        await WaitUntilReady(store);
    }

    [Fact]
    public async Task After_the_history_went_back_the_feed_delivers_updates_at_reused_positions_and_repeats_none()
    {
        var store = Open();
        var fedFour = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var feed = StartFeed(store, 7, n => _ = n == 4 && fedFour.TrySetResult());
        await WaitUntilReady(store);
        await store.AppendAsync(Update("a1", "x"), default);
        await store.AppendAsync(Update("a2", "x"), default);

        // A snapshot of the history at position 2, restored later: a failover to a lagging replica, or a restored backup.
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_redis.Port}");
        var db = redis.GetDatabase();
        RedisKey[] keys = ["herald:stream", "herald:ids", "herald:meta"];
        var snapshot = new List<byte[]>();
        foreach (var key in keys)
        {
            snapshot.Add((await db.KeyDumpAsync(key))!);
        }

        await store.AppendAsync(Update("a3", "x"), default);
        await store.AppendAsync(Update("a4", "x"), default);
        await fedFour.Task.WaitAsync(WaitLimit);
        for (var i = 0; i < keys.Length; i++)
        {
            await db.KeyDeleteAsync(keys[i]);
            await db.KeyRestoreAsync(keys[i], snapshot[i]);
        }

        // Published after the history went back: positions 3 and 4 again, then 5. Two at once, so the head is already
        // back at the feed's position when it next reads.
        await Task.WhenAll(store.AppendAsync(Update("b3", "x"), default).AsTask(), store.AppendAsync(Update("b4", "x"), default).AsTask());
        await store.AppendAsync(Update("b5", "x"), default);

        var fed = (await feed.WaitAsync(WaitLimit)).Select(s => s.Update.Id).ToList();
        Assert.Equal(["a1", "a2", "a3", "a4"], fed[..4]);
        Assert.Equal(["b3", "b4", "b5"], fed[4..].Order());
    }

    [Fact]
    public async Task A_retry_matches_by_content_whatever_format_wrote_the_entry()
    {
        var store = Open();
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_redis.Port}");
        var db = redis.GetDatabase();

        // Format 1 (no version field, no size field), its text escaped another way than today's encoder does.
        await WriteEntryAsync(db, "old", ("p", """{"t":["t"],"d":"caf\u00e9"}"""));

        // A later format: a version this one does not know, a field beside the content, keys reordered and one added.
        await WriteEntryAsync(db, "new", ("v", "3"), ("p", """{"d":"x","z":1,"t":["t"]}"""), ("x", "00-0af7651916cd43dd8448eb211c80319c-01"));

        var read = await store.ReadAfterAsync(0, 10, default);
        Assert.Equal([("old", "café"), ("new", "x")], read.Select(s => (s.Update.Id, s.Update.Data)));
        Assert.Equal(AppendStatus.Duplicate, (await store.AppendAsync(Update("old", "café"), default)).Status);
        Assert.Equal(AppendStatus.Duplicate, (await store.AppendAsync(Update("new", "x"), default)).Status);
        Assert.Equal(AppendStatus.Conflict, (await store.AppendAsync(Update("new", "y"), default)).Status);
        Assert.Equal(AppendStatus.Conflict, (await store.AppendAsync(new Update { Id = "new", Topics = ["t"], Data = "x", Private = true }, default)).Status);

        // Retention takes back from the byte count what each entry added, whichever format: only the newest remains.
        var trimming = Open(new HistoryLimits(1, TimeSpan.FromDays(1), 64L * 1024 * 1024));
        var last = Update("last", "x");
        await trimming.AppendAsync(last, default);
        Assert.Equal(["last"], (await trimming.ReadAfterAsync(0, 10, default)).Select(s => s.Update.Id));
        Assert.Equal(HistoryLimits.SizeOf(last), (long)await db.HashGetAsync("herald:meta", "bytes"));
    }

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    private static Update Update(string id, string data) => new() { Id = id, Topics = ["t"], Data = data };

    /// <summary>Writes an entry as another Herald version would: next position, id index, byte count (id and content lengths).</summary>
    private static async Task WriteEntryAsync(IDatabase db, string id, params (string Name, string Value)[] fields)
    {
        var position = await db.HashIncrementAsync("herald:meta", "last");
        var entryId = $"{position}-0";
        NameValueEntry[] values = [new("i", id), .. fields.Select(f => new NameValueEntry(f.Name, f.Value)), new("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())];
        await db.StreamAddAsync("herald:stream", values, entryId);
        await db.HashSetAsync("herald:ids", id, entryId);
        await db.HashIncrementAsync("herald:meta", "bytes", id.Length + fields.Single(f => f.Name == "p").Value.Length);
    }

    /// <summary>Retries only while the client has not yet reconnected (each failure is immediate: fail-fast).</summary>
    private static async Task AppendWhenBackAsync(RedisHistoryStore store, Update update)
    {
        using var limit = new CancellationTokenSource(WaitLimit);
        while (true)
        {
            try
            {
                await store.AppendAsync(update, default);
                return;
            }
            catch (HistoryStoreException) when (!limit.IsCancellationRequested)
            {
                await Task.Delay(50, limit.Token);
            }
        }
    }

    private static Task WaitUntilReady(RedisHistoryStore store) => WaitUntilAsync(() => store.Unavailable is null);

    /// <summary>Polls a state that raises no event (readiness is a property a load balancer polls too).</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(WaitLimit);
        while (!condition())
        {
            await Task.Delay(20, limit.Token);
        }
    }

    /// <summary>Reads the feed until <paramref name="count"/> updates came; <paramref name="progress"/> hears each count as it is reached.</summary>
    private static Task<List<StoredUpdate>> StartFeed(RedisHistoryStore store, int count, Action<int>? progress = null) => Task.Run(async () =>
    {
        var seen = new List<StoredUpdate>();
        using var limit = new CancellationTokenSource(WaitLimit);
        await foreach (var stored in store.ReadFeedAsync(limit.Token))
        {
            seen.Add(stored);
            progress?.Invoke(seen.Count);
            if (seen.Count == count)
            {
                break;
            }
        }

        return seen;
    });

    private RedisHistoryStore Open(HistoryLimits? limits = null)
    {
        var store = RedisHistoryStore.Connect(_redis.Url, new RedisStoreOptions(), limits ?? Roomy, NullLogger<RedisHistoryStore>.Instance);
        _stores.Add(store);
        return store;
    }
}
