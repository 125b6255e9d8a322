using Herald.Storage;
using Herald.Storage.Sqlite;
using Herald.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Storage;

public sealed class SqliteHistoryStoreTests : IDisposable
{
    private static readonly HistoryLimits Unbounded = new(int.MaxValue, TimeSpan.Zero, long.MaxValue);

    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task History_survives_reopening_the_file()
    {
        var path = _dir.File("h.db");
        await using (var store = Open(path))
        {
            await store.AppendAsync(Update("a", "one", type: "t", retry: 10, isPrivate: true), default);
            await store.AppendAsync(Update("b", "two\nlines"), default);
        }

        await using var reopened = Open(path);
        var all = await reopened.ReadAfterAsync(0, 10, default);

        Assert.Equal(["a", "b"], all.Select(s => s.Update.Id));
        Assert.Equal(("one", "t", 10L, true), (all[0].Update.Data, all[0].Update.Type, all[0].Update.Retry, all[0].Update.Private));
        Assert.Equal(["https://example.com/a", "alt"], all[0].Update.Topics);
        Assert.Equal("two\nlines", all[1].Update.Data);
        Assert.Equal(2, await reopened.FindPositionAsync("b", default));
        Assert.Equal(2, await reopened.GetHeadAsync(default));
    }

    [Fact]
    public async Task The_generation_survives_reopening_and_changes_with_a_new_file()
    {
        var path = _dir.File("h.db");
        string generation;
        await using (var store = Open(path))
        {
            generation = await store.GetGenerationAsync(default);
            await store.AppendAsync(Update("a", "one"), default);
        }

        await using (var reopened = Open(path))
        {
            Assert.Equal(generation, await reopened.GetGenerationAsync(default));
        }

        // A deleted and recreated file starts its positions over: another generation.
        File.Delete(path);
        await using var recreated = Open(path);
        Assert.Matches("^[0-9a-f]{16}$", generation);
        Assert.NotEqual(generation, await recreated.GetGenerationAsync(default));
    }

    [Fact]
    public async Task Idempotency_holds_across_restarts_and_positions_keep_growing()
    {
        var path = _dir.File("h.db");
        await using (var store = Open(path))
        {
            await store.AppendAsync(Update("a", "one"), default);
        }

        await using var reopened = Open(path);

        Assert.Equal(AppendStatus.Duplicate, (await reopened.AppendAsync(Update("a", "one"), default)).Status);
        Assert.Equal(AppendStatus.Conflict, (await reopened.AppendAsync(Update("a", "changed"), default)).Status);
        Assert.Equal(2, (await reopened.AppendAsync(Update("b", "two"), default)).Position);
    }

    [Fact]
    public async Task Concurrent_appends_are_all_committed_with_unique_positions_and_fed_in_order()
    {
        await using var store = Open(_dir.File("h.db"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var feed = store.ReadFeedAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        var results = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Task.Run(() => store.AppendAsync(Update($"id-{i}", $"d{i}"), default).AsTask())));

        Assert.All(results, r => Assert.Equal(AppendStatus.Appended, r.Status));
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), results.Select(r => r.Position).Order());
        var fed = new List<long>();
        while (fed.Count < 300 && await feed.MoveNextAsync())
        {
            fed.Add(feed.Current.Position);
        }

        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), fed);
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task Same_id_twice_in_one_group_commit_is_stored_once()
    {
        await using var store = Open(_dir.File("h.db"));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => store.AppendAsync(Update("same", "x"), default).AsTask()));

        Assert.Single(results, r => r.Status == AppendStatus.Appended);
        Assert.All(results, r => Assert.Equal(results[0].Position, r.Position));
        Assert.Single(await store.ReadAfterAsync(0, 10, default));
    }

    [Fact]
    public async Task Retention_by_count_keeps_the_newest()
    {
        await using var store = Open(_dir.File("h.db"), new HistoryLimits(100, TimeSpan.Zero, long.MaxValue));
        // Several group commits' worth, and more than one cleanup batch to delete.
        for (var chunk = 0; chunk < 4; chunk++)
        {
            await Task.WhenAll(Enumerable.Range(chunk * 300, 300).Select(i => store.AppendAsync(Update($"id-{i:D4}", "d"), default).AsTask()));
        }

        await store.EnforceRetentionAsync();

        var retained = await store.ReadAfterAsync(0, 10_000, default);
        Assert.Equal(100, retained.Count);
        Assert.Equal(Enumerable.Range(1101, 100).Select(p => (long)p), retained.Select(r => r.Position));
        Assert.Null(await store.FindPositionAsync("id-0005", default));
    }

    [Fact]
    public async Task Retention_by_age_drops_expired_updates_and_bytes_bound_the_rest()
    {
        await using var store = Open(_dir.File("h.db"), new HistoryLimits(int.MaxValue, TimeSpan.FromHours(1), 10_000));
        await store.AppendAsync(Update("old", "d"), default);
        _time.Advance(TimeSpan.FromHours(2));
        for (var i = 0; i < 50; i++)
        {
            await store.AppendAsync(Update($"new-{i}", new string('x', 1000)), default);
        }

        await store.EnforceRetentionAsync();

        var retained = await store.ReadAfterAsync(0, 1000, default);
        Assert.DoesNotContain(retained, s => s.Update.Id == "old");
        Assert.InRange(retained.Sum(s => s.Frame.Length), 1, 10_000);
        Assert.Equal("new-49", retained[^1].Update.Id);
    }

    [Fact]
    public async Task A_null_id_is_refused_at_the_door_and_later_publishes_proceed()
    {
        await using var store = Open(_dir.File("h.db"));

        await Assert.ThrowsAsync<ArgumentException>(() => store.AppendAsync(new Update { Topics = ["t"] }, default).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(1, (await store.AppendAsync(Update("a", "one"), default).AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Position);
    }

    [Fact]
    public async Task A_second_owner_of_the_file_is_refused()
    {
        var path = _dir.File("h.db");
        await using var first = Open(path);

        var refused = Assert.Throws<HistoryStoreException>(() => Open(path));

        Assert.Contains("in use by another Herald process", refused.Message);
        Assert.Contains(path, refused.Message);
    }

    [Fact]
    public async Task A_corrupt_file_is_refused_with_its_name_and_left_untouched()
    {
        var path = _dir.File("h.db");
        var garbage = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray();
        await File.WriteAllBytesAsync(path, garbage);

        var refused = Assert.Throws<HistoryStoreException>(() => Open(path));

        Assert.Contains(path, refused.Message);
        Assert.Contains("not a SQLite database", refused.Message);
        Assert.Equal(garbage, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public void Another_programs_database_is_refused()
    {
        var path = _dir.File("other.db");
        using (var other = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            other.Open();
            SqliteSchema.Execute(other, "CREATE TABLE customers (id INTEGER PRIMARY KEY)");
        }

        var refused = Assert.Throws<HistoryStoreException>(() => Open(path));

        Assert.Contains("not a Herald history file", refused.Message);
    }

    [Fact]
    public async Task A_file_from_a_newer_herald_is_refused_and_not_modified()
    {
        var path = _dir.File("h.db");
        await using (var store = Open(path))
        {
            await store.AppendAsync(Update("a", "one"), default);
        }

        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            SqliteSchema.Execute(connection, "UPDATE herald_meta SET value = '99' WHERE key = 'schema_version'");
        }

        var before = await File.ReadAllBytesAsync(path);
        var refused = Assert.Throws<HistoryStoreException>(() => Open(path));

        Assert.Contains("newer Herald", refused.Message);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task An_unwritable_location_is_refused_with_a_clear_message()
    {
        // Tests run as root, so a path under a regular file (not a permission bit) makes the folder uncreatable.
        var blocker = _dir.File("not-a-folder");
        await File.WriteAllTextAsync(blocker, "x");

        var refused = Assert.Throws<HistoryStoreException>(() => Open(Path.Combine(blocker, "h.db")));

        Assert.Contains("cannot create the folder", refused.Message);
        Assert.Contains(blocker, refused.Message);
    }

    public void Dispose() => _dir.Dispose();

    private SqliteHistoryStore Open(string path, HistoryLimits? limits = null) =>
        new(path, limits ?? Unbounded, _time, NullLogger<SqliteHistoryStore>.Instance);

    private static Update Update(string id, string data, string? type = null, long? retry = null, bool isPrivate = false) => new()
    {
        Topics = ["https://example.com/a", "alt"],
        Id = id,
        Data = data,
        Type = type,
        Retry = retry,
        Private = isPrivate,
    };
}
