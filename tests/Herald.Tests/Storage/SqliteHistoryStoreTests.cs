using Herald.Storage;
using Herald.Storage.Sqlite;
using Herald.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Storage;

/// <summary>What only the SQLite store has: batched cleanup, one owner per file, files it must refuse (the rest is the contract).</summary>
public sealed class SqliteHistoryStoreTests : IDisposable
{
    private static readonly HistoryLimits Unbounded = new(int.MaxValue, TimeSpan.Zero, long.MaxValue);

    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task Retention_by_count_deletes_in_batches_across_group_commits()
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
