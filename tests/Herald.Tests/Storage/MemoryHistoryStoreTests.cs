using Herald.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Storage;

public class MemoryHistoryStoreTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task Positions_are_monotonic_and_reads_are_paged_in_order()
    {
        var store = Create(new HistoryLimits(100, TimeSpan.Zero, long.MaxValue));
        for (var i = 1; i <= 10; i++)
        {
            var result = await store.AppendAsync(Update($"id-{i}"), default);
            Assert.Equal((AppendStatus.Appended, (long)i), (result.Status, result.Position));
        }

        var page = await store.ReadAfterAsync(3, 4, default);

        Assert.Equal([4L, 5, 6, 7], page.Select(s => s.Position));
        Assert.Equal(10, await store.GetHeadAsync(default));
        Assert.Equal(6, await store.FindPositionAsync("id-6", default));
    }

    [Fact]
    public async Task Each_store_instance_is_its_own_generation()
    {
        var limits = new HistoryLimits(100, TimeSpan.Zero, long.MaxValue);
        var store = Create(limits);
        var generation = await store.GetGenerationAsync(default);
        await store.AppendAsync(Update("id-1"), default);

        // Stable while the store lives; a restarted process (a new instance) starts positions over under another name.
        Assert.Equal(generation, await store.GetGenerationAsync(default));
        Assert.NotEqual(generation, await Create(limits).GetGenerationAsync(default));
    }

    [Fact]
    public async Task Count_limit_evicts_the_oldest()
    {
        var store = Create(new HistoryLimits(3, TimeSpan.Zero, long.MaxValue));
        for (var i = 1; i <= 5; i++)
        {
            await store.AppendAsync(Update($"id-{i}"), default);
        }

        Assert.Null(await store.FindPositionAsync("id-2", default));
        Assert.Equal([3L, 4, 5], (await store.ReadAfterAsync(0, 10, default)).Select(s => s.Position));
    }

    [Fact]
    public async Task Byte_limit_evicts_the_oldest()
    {
        var store = Create(new HistoryLimits(1000, TimeSpan.Zero, 3000));
        for (var i = 1; i <= 5; i++)
        {
            await store.AppendAsync(Update($"id-{i}", new string('x', 1000)), default);
        }

        var retained = await store.ReadAfterAsync(0, 10, default);
        Assert.InRange(retained.Sum(s => s.Frame.Length), 1, 3000);
        Assert.Equal(5, retained[^1].Position);
    }

    [Fact]
    public async Task Age_limit_evicts_expired_updates()
    {
        var store = Create(new HistoryLimits(1000, TimeSpan.FromMinutes(10), long.MaxValue));
        await store.AppendAsync(Update("old"), default);
        _time.Advance(TimeSpan.FromMinutes(11));
        await store.AppendAsync(Update("new"), default);

        Assert.Null(await store.FindPositionAsync("old", default));
        Assert.Equal(["new"], (await store.ReadAfterAsync(0, 10, default)).Select(s => s.Update.Id));
    }

    [Fact]
    public async Task Same_id_is_a_duplicate_with_same_content_and_a_conflict_otherwise()
    {
        var store = Create(new HistoryLimits(100, TimeSpan.Zero, long.MaxValue));
        await store.AppendAsync(Update("a", "data"), default);

        Assert.Equal(AppendStatus.Duplicate, (await store.AppendAsync(Update("a", "data"), default)).Status);
        Assert.Equal(AppendStatus.Conflict, (await store.AppendAsync(Update("a", "other"), default)).Status);
        Assert.Equal(1, await store.GetHeadAsync(default));
    }

    [Fact]
    public async Task Feed_yields_appended_updates_in_order_once()
    {
        var store = Create(new HistoryLimits(100, TimeSpan.Zero, long.MaxValue));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await store.AppendAsync(Update("a"), default);
        await store.AppendAsync(Update("a"), default);
        await store.AppendAsync(Update("b"), default);

        var seen = new List<long>();
        await foreach (var stored in store.ReadFeedAsync(cts.Token))
        {
            seen.Add(stored.Position);
            if (seen.Count == 2)
            {
                break;
            }
        }

        Assert.Equal([1L, 2], seen);
    }

    private MemoryHistoryStore Create(HistoryLimits limits) => new(limits, _time);

    private static Update Update(string id, string data = "d") => new() { Topics = ["t"], Id = id, Data = data };
}
