using Herald.Storage;
using Herald.Storage.Sqlite;
using Herald.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Tests.Storage;

/// <summary><see cref="HistoryLimits.LatestRetainedOnly"/> in the stores that support it: memory and SQLite.</summary>
public sealed class LatestRetainedHistoryTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly List<IAsyncDisposable> _open = [];

    public static TheoryData<string> Stores => ["memory", "sqlite"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_superseded_latest_value_keeps_its_position_and_id_but_not_its_data(string kind)
    {
        var store = Open(kind, new HistoryLimits(100, TimeSpan.Zero, long.MaxValue) { LatestRetainedOnly = true });
        await store.AppendAsync(Retained("r1", ["a"], "one"), default);
        await store.AppendAsync(new Update { Id = "plain", Topics = ["a"], Data = "kept" }, default);
        await store.AppendAsync(Retained("r2", ["a"], "two"), default);
        await store.AppendAsync(Retained("r3", ["b"], "three"), default);
        await store.AppendAsync(Retained("r4", ["a", "b"], "four"), default);

        var history = await store.ReadAfterAsync(0, 10, default);
        Assert.Equal([1L, 2, 3, 4, 5], history.Select(h => h.Position));
        Assert.Equal([true, false, true, true, false], history.Select(h => h.Superseded));
        Assert.Equal(["", "kept", "", "", "four"], history.Select(h => h.Update.Data));
        Assert.Equal(["r1", "plain", "r2", "r3", "r4"], history.Select(h => h.Update.Id));

        // A retry of a superseded version is acknowledged, never stored over the newer value.
        Assert.Equal(new AppendResult(AppendStatus.Duplicate, "r1", 1), await store.AppendAsync(Retained("r1", ["a"], "one"), default));
        Assert.Equal(["four"], (await store.ReadRetainedAsync(["a"], default)).Select(v => v.Update.Data));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Superseded_versions_do_not_spend_the_byte_limit(string kind)
    {
        var bundle = new string('x', 10_000);
        var frame = HistoryLimits.SizeOf(Retained("v-00", ["bundle"], bundle));
        var store = Open(kind, new HistoryLimits(1000, TimeSpan.Zero, 3 * frame) { LatestRetainedOnly = true });
        for (var i = 0; i < 20; i++)
        {
            await store.AppendAsync(Retained($"v-{i:00}", ["bundle"], bundle), default);
        }

        if (store is SqliteHistoryStore sqlite)
        {
            await sqlite.EnforceRetentionAsync();
        }

        // Without the option only the newest three would be left; with it, twenty positions, one of them a bundle.
        var history = await store.ReadAfterAsync(0, 100, default);
        Assert.Equal(20, history.Count);
        Assert.Equal(19, history.Count(h => h.Superseded));
        Assert.Equal("v-19", history.Single(h => !h.Superseded).Update.Id);
    }

    [Fact]
    public async Task A_schema_1_file_is_migrated_and_keeps_its_history()
    {
        var path = _dir.File("v1.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            connection.Open();
            SqliteSchema.Execute(connection, $"""
                PRAGMA application_id = {SqliteSchema.ApplicationId};
                CREATE TABLE herald_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                INSERT INTO herald_meta (key, value) VALUES ('schema_version', '1');
                CREATE TABLE updates (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, topics TEXT NOT NULL, data TEXT NOT NULL,
                    type TEXT, retry INTEGER, private INTEGER NOT NULL, stored_at INTEGER NOT NULL, size INTEGER NOT NULL);
                INSERT INTO updates (position, id, topics, data, type, retry, private, stored_at, size) VALUES (1, 'old', '["t"]', 'from v1', NULL, NULL, 0, 0, 20);
                """);
        }

        var store = new SqliteHistoryStore(path, new HistoryLimits(100, TimeSpan.Zero, long.MaxValue), TimeProvider.System, NullLogger<SqliteHistoryStore>.Instance);
        _open.Add(store);
        Assert.Equal([("old", "from v1", false)], (await store.ReadAfterAsync(0, 10, default)).Select(s => (s.Update.Id!, s.Update.Data, s.Update.Retain)));
        await store.AppendAsync(Retained("new", ["t"], "v2"), default);
        Assert.Equal(["new"], (await store.ReadRetainedAsync(["t"], default)).Select(v => v.Update.Id));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _open)
        {
            await store.DisposeAsync();
        }

        _dir.Dispose();
    }

    private IHistoryStore Open(string kind, HistoryLimits limits)
    {
        if (kind == "memory")
        {
            return new MemoryHistoryStore(limits, TimeProvider.System);
        }

        var store = new SqliteHistoryStore(_dir.File("h.db"), limits, TimeProvider.System, NullLogger<SqliteHistoryStore>.Instance);
        _open.Add(store);
        return store;
    }

    private static Update Retained(string id, string[] topics, string data) => new() { Id = id, Topics = topics, Data = data, Retain = true };
}
