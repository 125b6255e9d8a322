using System.Text;
using Herald.Storage;

namespace Herald.Tests.Shared;

/// <summary>
/// What every <see cref="IHistoryStore"/> promises, run against each store — memory, SQLite (a real file), Redis (a real
/// redis-server) — by a subclass that knows how to open it, restart it, replace its history and let time pass.
/// Linked into both test projects; it uses only the stores' public surface.
/// </summary>
public abstract class HistoryStoreContract : IAsyncLifetime
{
    protected static readonly HistoryLimits Roomy = new(10_000, TimeSpan.FromDays(1), 64L * 1024 * 1024);

    /// <summary>Generous: a wait this long means the update is not coming, not that the machine is slow.</summary>
    protected static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(15);

    /// <summary>True when a restarted store holds its history (SQLite, Redis); false when it starts over (memory).</summary>
    protected abstract bool KeepsHistoryAcrossRestarts { get; }

    /// <summary>An age limit short enough for <see cref="LetTimePassAsync"/> to exceed quickly.</summary>
    protected abstract TimeSpan ShortAge { get; }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public abstract Task DisposeAsync();

    /// <summary>Opens the store under test (the subclass disposes what it opened).</summary>
    protected abstract Task<IHistoryStore> OpenAsync(HistoryLimits limits);

    /// <summary>Stops the store as a restarting hub would and opens it again on the same data.</summary>
    protected abstract Task<IHistoryStore> RestartAsync(IHistoryStore store, HistoryLimits limits);

    /// <summary>Loses the history the way it happens to this store (a new process, a new file, an emptied Redis).</summary>
    protected abstract Task<IHistoryStore> ReplaceHistoryAsync(IHistoryStore store, HistoryLimits limits);

    /// <summary>Lets the store's clock move on by <paramref name="duration"/>.</summary>
    protected abstract Task LetTimePassAsync(TimeSpan duration);

    /// <summary>Applies retention now, for stores that apply it in the background.</summary>
    protected virtual Task ApplyRetentionAsync(IHistoryStore store) => Task.CompletedTask;

    /// <summary>Completes once the feed delivers what is appended from now on (a Redis feed first has to reach Redis).</summary>
    protected virtual Task FeedStartedAsync(IHistoryStore store) => Task.CompletedTask;

    [Fact]
    public async Task Positions_are_dense_from_1_and_reads_after_a_position_are_paged_in_order()
    {
        var store = await OpenAsync(Roomy);
        for (var i = 1; i <= 10; i++)
        {
            var result = await store.AppendAsync(Update($"id-{i}"), default);
            Assert.Equal(new AppendResult(AppendStatus.Appended, $"id-{i}", i), result);
        }

        Assert.Equal(10, await store.GetHeadAsync(default));
        Assert.Equal([4L, 5, 6, 7], (await store.ReadAfterAsync(3, 4, default)).Select(s => s.Position));
        Assert.Empty(await store.ReadAfterAsync(10, 5, default));
        Assert.Equal(6, await store.FindPositionAsync("id-6", default));
        Assert.Null(await store.FindPositionAsync("unknown", default));

        var paged = new List<StoredUpdate>();
        for (long after = 0; ;)
        {
            var page = await store.ReadAfterAsync(after, 3, default);
            if (page.Count == 0)
            {
                break;
            }

            Assert.InRange(page.Count, 1, 3);
            paged.AddRange(page);
            after = page[^1].Position;
        }

        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"id-{i}"), paged.Select(s => s.Update.Id));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), paged.Select(s => s.Position));
    }

    [Fact]
    public async Task Every_field_round_trips()
    {
        var store = await OpenAsync(Roomy);
        var update = new Update
        {
            Id = "full", Topics = ["https://example.com/a", "b/{c}"], Data = "line 1\nline 2 — ünïcode <&> \"quoted\"", Type = "ping", Retry = 1500, Private = true, Retain = true,
        };
        await store.AppendAsync(update, default);
        await store.AppendAsync(new Update { Id = "bare", Topics = ["t"] }, default);

        var read = await store.ReadAfterAsync(0, 10, default);
        var full = read[0].Update;
        Assert.Equal(update.Topics, full.Topics);
        Assert.Equal((update.Id, update.Data, update.Type, update.Retry, update.Private, true), (full.Id, full.Data, full.Type, full.Retry, full.Private, full.Retain));
        var bare = read[1].Update;
        Assert.Equal(("bare", "", null, null, false, false), (bare.Id, bare.Data, bare.Type, bare.Retry, bare.Private, bare.Retain));
    }

    [Fact]
    public async Task The_same_id_is_a_duplicate_with_the_same_content_and_a_conflict_with_any_other()
    {
        var store = await OpenAsync(Roomy);
        var original = new Update { Id = "a", Topics = ["t", "alt"], Data = "data", Type = "x", Retry = 10, Private = true };
        await store.AppendAsync(original, default);
        await store.AppendAsync(Update("b"), default);

        Assert.Equal(new AppendResult(AppendStatus.Duplicate, "a", 1), await store.AppendAsync(Copy(original), default));
        Update[] others =
        [
            Copy(original, data: "other"), Copy(original, type: "y"), Copy(original, retry: 11), Copy(original, isPrivate: false),
            Copy(original, topics: ["alt", "t"]), Copy(original, topics: ["t"]), Copy(original, retain: true),
        ];
        foreach (var other in others)
        {
            Assert.Equal(new AppendResult(AppendStatus.Conflict, "a", 1), await store.AppendAsync(other, default));
        }

        Assert.Equal(2, await store.GetHeadAsync(default));
        Assert.Equal(["a", "b"], (await store.ReadAfterAsync(0, 10, default)).Select(s => s.Update.Id));
    }

    [Fact]
    public async Task Concurrent_appends_of_one_id_store_it_once()
    {
        var store = await OpenAsync(Roomy);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => store.AppendAsync(Update("same"), default).AsTask())));

        Assert.Single(results, r => r.Status == AppendStatus.Appended);
        Assert.Equal(19, results.Count(r => r.Status == AppendStatus.Duplicate));
        Assert.All(results, r => Assert.Equal(1, r.Position));
        Assert.Single(await store.ReadAfterAsync(0, 10, default));
    }

    [Fact]
    public async Task An_update_without_an_id_is_refused_at_the_door_and_later_appends_proceed()
    {
        var store = await OpenAsync(Roomy);

        await Assert.ThrowsAsync<ArgumentException>(() => store.AppendAsync(new Update { Topics = ["t"] }, default).AsTask().WaitAsync(WaitLimit));
        await Assert.ThrowsAsync<ArgumentException>(() => store.AppendAsync(new Update { Id = "x", Topics = ["t"], Data = null! }, default).AsTask().WaitAsync(WaitLimit));

        Assert.Equal(new AppendResult(AppendStatus.Appended, "a", 1), await store.AppendAsync(Update("a"), default).AsTask().WaitAsync(WaitLimit));
    }

    [Fact]
    public async Task Retention_by_count_keeps_the_newest_and_a_dropped_id_is_new_again()
    {
        var store = await OpenAsync(Roomy with { MaxCount = 3 });
        for (var i = 1; i <= 5; i++)
        {
            await store.AppendAsync(Update($"id-{i}"), default);
        }

        await ApplyRetentionAsync(store);

        Assert.Equal([3L, 4, 5], (await store.ReadAfterAsync(0, 10, default)).Select(s => s.Position));
        Assert.Null(await store.FindPositionAsync("id-2", default));
        Assert.Equal(5, await store.GetHeadAsync(default));

        // No longer retained, so not a duplicate of anything: stored again, at the next position.
        Assert.Equal(new AppendResult(AppendStatus.Appended, "id-1", 6), await store.AppendAsync(Update("id-1"), default));
    }

    [Fact]
    public async Task Subscription_events_do_not_count_against_the_max_count_so_a_storm_evicts_no_application_update()
    {
        var store = await OpenAsync(Roomy with { MaxCount = 3 });
        for (var i = 1; i <= 3; i++)
        {
            await store.AppendAsync(Update($"app-{i}"), default);
        }

        // A reconnect storm's announcements (hub-generated, on the reserved subscriptions namespace).
        for (var i = 1; i <= 20; i++)
        {
            await store.AppendAsync(new Update { Id = $"event-{i}", Topics = [$"/.well-known/mercure/subscriptions/t/urn%3Auuid%3A{i}"], Data = "{}", Private = true }, default);
        }

        await ApplyRetentionAsync(store);
        var afterStorm = await store.ReadAfterAsync(0, 100, default);
        Assert.Equal(["app-1", "app-2", "app-3"], afterStorm.Take(3).Select(s => s.Update.Id));
        Assert.Equal(23, afterStorm.Count);

        // The next application update evicts the oldest application update, and only what is older than the rest.
        await store.AppendAsync(Update("app-4"), default);
        await ApplyRetentionAsync(store);
        var kept = await store.ReadAfterAsync(0, 100, default);
        Assert.Equal(["app-2", "app-3", "app-4"], kept.Where(s => s.Update.Id!.StartsWith("app-", StringComparison.Ordinal)).Select(s => s.Update.Id));
        Assert.Equal(20, kept.Count(s => s.Update.Id!.StartsWith("event-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Retention_by_age_drops_updates_older_than_the_window()
    {
        var store = await OpenAsync(Roomy with { MaxAge = ShortAge });
        await store.AppendAsync(Update("old"), default);
        await LetTimePassAsync(ShortAge * 2);
        await store.AppendAsync(Update("new"), default);

        await ApplyRetentionAsync(store);

        Assert.Equal(["new"], (await store.ReadAfterAsync(0, 10, default)).Select(s => s.Update.Id));
        Assert.Null(await store.FindPositionAsync("old", default));
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(-1, 2)]
    public async Task Retention_by_bytes_counts_the_utf8_bytes_of_each_sse_frame(int slack, int kept)
    {
        // Every update the same size: "id: u1\n" (7 bytes) + "data: " + 20 × "é" (40 bytes) + "\n" + the blank line.
        var data = new string('é', 20);
        var frame = Encoding.UTF8.GetByteCount($"id: u1\ndata: {data}\n\n");
        Assert.Equal(55, frame);
        var store = await OpenAsync(Roomy with { MaxBytes = 3 * frame + slack });
        for (var i = 1; i <= 5; i++)
        {
            await store.AppendAsync(Update($"u{i}", data), default);
        }

        await ApplyRetentionAsync(store);

        Assert.Equal(Enumerable.Range(6 - kept, kept).Select(i => $"u{i}"), (await store.ReadAfterAsync(0, 10, default)).Select(s => s.Update.Id));
        Assert.Equal(frame, HistoryLimits.SizeOf(Update("u1", data)));
    }

    [Fact]
    public async Task The_feed_yields_each_stored_update_once_in_store_order()
    {
        var store = await OpenAsync(Roomy);
        var feed = ReadFeed(store, 100);
        await FeedStartedAsync(store);

        // Publishers racing, and retries among them: the feed carries each stored update once, in position order.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await store.AppendAsync(Update($"p{p}-{i}"), default);
                await store.AppendAsync(Update($"p{p}-{i}"), default);
            }
        })));

        var fed = await feed.WaitAsync(WaitLimit);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), fed.Select(s => s.Position));
        Assert.Equal(100, fed.Select(s => s.Update.Id).Distinct().Count());
        Assert.Equal((await store.ReadAfterAsync(0, 200, default)).Select(s => s.Update.Id), fed.Select(s => s.Update.Id));
    }

    [Fact]
    public async Task A_restarted_store_resumes_its_history_or_starts_another()
    {
        var store = await OpenAsync(Roomy);
        var generation = await store.GetGenerationAsync(default);
        await store.AppendAsync(Update("a", "one"), default);
        await store.AppendAsync(Update("b", "two"), default);
        Assert.Equal(generation, await store.GetGenerationAsync(default));

        var restarted = await RestartAsync(store, Roomy);

        if (KeepsHistoryAcrossRestarts)
        {
            // The same history: same name, same positions, retries still recognised, numbering continues.
            Assert.Equal(generation, await restarted.GetGenerationAsync(default));
            Assert.Equal(2, await restarted.GetHeadAsync(default));
            Assert.Equal(["a", "b"], (await restarted.ReadAfterAsync(0, 10, default)).Select(s => s.Update.Id));
            Assert.Equal(new AppendResult(AppendStatus.Duplicate, "b", 2), await restarted.AppendAsync(Update("b", "two"), default));
            Assert.Equal(AppendStatus.Conflict, (await restarted.AppendAsync(Update("b", "changed"), default)).Status);
            Assert.Equal(new AppendResult(AppendStatus.Appended, "c", 3), await restarted.AppendAsync(Update("c"), default));
        }
        else
        {
            // Another history: another name, so positions of the old one name nothing here.
            Assert.NotEqual(generation, await restarted.GetGenerationAsync(default));
            Assert.Equal(0, await restarted.GetHeadAsync(default));
            Assert.Equal(new AppendResult(AppendStatus.Appended, "b", 1), await restarted.AppendAsync(Update("b", "changed"), default));
        }
    }

    [Fact]
    public async Task A_replaced_history_has_another_generation_and_positions_start_over()
    {
        var store = await OpenAsync(Roomy);
        var generation = await store.GetGenerationAsync(default);
        Assert.Matches("^[0-9A-Za-z]+$", generation);
        await store.AppendAsync(Update("a"), default);
        await store.AppendAsync(Update("b"), default);

        var replaced = await ReplaceHistoryAsync(store, Roomy);

        var next = await replaced.GetGenerationAsync(default);
        Assert.NotEqual(generation, next);
        Assert.Equal(0, await replaced.GetHeadAsync(default));
        Assert.Null(await replaced.FindPositionAsync("a", default));
        Assert.Equal(new AppendResult(AppendStatus.Appended, "b", 1), await replaced.AppendAsync(Update("b"), default));
        Assert.Equal(next, await replaced.GetGenerationAsync(default));
    }

    [Fact]
    public async Task A_retained_update_is_the_latest_value_of_each_of_its_topics_and_outlives_retention()
    {
        var store = await OpenAsync(Roomy with { MaxCount = 2 });
        Assert.Empty(await store.ListRetainedAsync(null, default));
        await store.AppendAsync(Retained("r1", ["a", "b"], "first"), default);
        await store.AppendAsync(Update("plain"), default);
        await store.AppendAsync(Retained("r2", ["a"], "second ünïcode\nline"), default);
        for (var i = 0; i < 5; i++)
        {
            await store.AppendAsync(Update($"filler-{i}"), default);
        }

        await ApplyRetentionAsync(store);

        // History kept only the newest two; the latest values stay: a → r2 (3), b → r1 (1, still its latest).
        Assert.Equal(2, (await store.ReadAfterAsync(0, 10, default)).Count);
        Assert.Equal(
            [new RetainedTopic("a", 3), new RetainedTopic("b", 1)],
            (await store.ListRetainedAsync(null, default)).OrderBy(r => r.Topic, StringComparer.Ordinal));
        Assert.Equal([new RetainedTopic("b", 1)], await store.ListRetainedAsync(["b", "t", "missing"], default));

        var values = await store.ReadRetainedAsync(["b", "missing", "a"], default);
        Assert.Equal([("r1", 1L, "first"), ("r2", 3L, "second ünïcode\nline")], values.Select(v => (v.Update.Id!, v.Position, v.Update.Data)));
        Assert.Equal(["a", "b"], values[0].Update.Topics);
        Assert.All(values, v => Assert.True(v.Update.Retain));

        // Retried with the same content: a duplicate, the value unchanged; a retain flag that differs is other content.
        Assert.Equal(9, (await store.AppendAsync(Retained("r3", ["a"], "third"), default)).Position);
        Assert.Equal(AppendStatus.Duplicate, (await store.AppendAsync(Retained("r3", ["a"], "third"), default)).Status);
        Assert.Equal(AppendStatus.Conflict, (await store.AppendAsync(Copy(Retained("r3", ["a"], "third"), retain: false), default)).Status);
        Assert.Equal([new RetainedTopic("a", 9)], await store.ListRetainedAsync(["a"], default));
    }

    [Fact]
    public async Task Latest_values_are_kept_across_restarts_by_durable_stores_and_lost_with_a_replaced_history()
    {
        var store = await OpenAsync(Roomy);
        await store.AppendAsync(Retained("r1", ["a"], "value", isPrivate: true), default);

        var restarted = await RestartAsync(store, Roomy);

        var kept = await restarted.ReadRetainedAsync(["a"], default);
        if (KeepsHistoryAcrossRestarts)
        {
            Assert.Equal([("r1", 1L, "value", true)], kept.Select(v => (v.Update.Id!, v.Position, v.Update.Data, v.Update.Private)));
        }
        else
        {
            Assert.Empty(kept);
        }

        var replaced = await ReplaceHistoryAsync(restarted, Roomy);
        Assert.Empty(await replaced.ListRetainedAsync(null, default));
        Assert.Empty(await replaced.ReadRetainedAsync(["a"], default));
    }

    [Fact]
    public async Task A_store_that_may_hold_a_latest_value_says_so_before_its_position_is_visible_and_after_a_restart()
    {
        // MayHoldRetained lets a new subscription skip asking for latest values: a store that holds one must never say
        // it holds none, or subscribers would miss it; saying it may when it holds none only costs a lookup.
        var store = await OpenAsync(Roomy);
        await store.AppendAsync(Update("plain"), default);
        var appended = await store.AppendAsync(Retained("r1", ["a"], "value"), default);
        Assert.True(await store.GetHeadAsync(default) >= appended.Position);
        Assert.True(store.MayHoldRetained);

        var restarted = await RestartAsync(store, Roomy);
        Assert.True(!KeepsHistoryAcrossRestarts || restarted.MayHoldRetained);
    }

    protected static Update Retained(string id, string[] topics, string data, bool isPrivate = false) =>
        new() { Id = id, Topics = topics, Data = data, Retain = true, Private = isPrivate };

    protected static Update Update(string id, string data = "d") => new() { Id = id, Topics = ["t"], Data = data };

    /// <summary>Reads the feed on another task until <paramref name="count"/> updates came.</summary>
    protected static Task<List<StoredUpdate>> ReadFeed(IHistoryStore store, int count) => Task.Run(async () =>
    {
        var seen = new List<StoredUpdate>();
        using var limit = new CancellationTokenSource(WaitLimit);
        await foreach (var stored in store.ReadFeedAsync(limit.Token))
        {
            seen.Add(stored);
            if (seen.Count == count)
            {
                break;
            }
        }

        return seen;
    });

    private static Update Copy(Update u, string? data = null, string? type = null, long? retry = null, bool? isPrivate = null, string[]? topics = null, bool? retain = null) => new()
    {
        Id = u.Id, Topics = topics ?? [.. u.Topics], Data = data ?? u.Data, Type = type ?? u.Type, Retry = retry ?? u.Retry, Private = isPrivate ?? u.Private,
        Retain = retain ?? u.Retain,
    };
}
