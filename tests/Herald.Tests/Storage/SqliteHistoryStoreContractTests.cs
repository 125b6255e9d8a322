using Herald.Storage;
using Herald.Storage.Sqlite;
using Herald.Tests.Infrastructure;
using Herald.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Storage;

/// <summary>The store contract against a real SQLite file, on fake time; a restart closes and reopens the file.</summary>
public sealed class SqliteHistoryStoreContractTests : HistoryStoreContract
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly List<SqliteHistoryStore> _open = [];

    protected override bool KeepsHistoryAcrossRestarts => true;

    protected override TimeSpan ShortAge => TimeSpan.FromMinutes(10);

    private string FilePath => _dir.File("history.db");

    public override async Task DisposeAsync()
    {
        foreach (var store in _open)
        {
            await store.DisposeAsync();
        }

        _dir.Dispose();
    }

    protected override Task<IHistoryStore> OpenAsync(HistoryLimits limits)
    {
        var store = new SqliteHistoryStore(FilePath, limits, _time, NullLogger<SqliteHistoryStore>.Instance);
        _open.Add(store);
        return Task.FromResult<IHistoryStore>(store);
    }

    protected override async Task<IHistoryStore> RestartAsync(IHistoryStore store, HistoryLimits limits)
    {
        await CloseAsync(store);
        return await OpenAsync(limits);
    }

    /// <summary>The file deleted and created anew, as an operator clearing the data folder would.</summary>
    protected override async Task<IHistoryStore> ReplaceHistoryAsync(IHistoryStore store, HistoryLimits limits)
    {
        await CloseAsync(store);
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(FilePath + suffix);
        }

        return await OpenAsync(limits);
    }

    protected override Task LetTimePassAsync(TimeSpan duration)
    {
        _time.Advance(duration);
        return Task.CompletedTask;
    }

    protected override Task ApplyRetentionAsync(IHistoryStore store) => ((SqliteHistoryStore)store).EnforceRetentionAsync();

    private async Task CloseAsync(IHistoryStore store)
    {
        var sqlite = (SqliteHistoryStore)store;
        _open.Remove(sqlite);
        await sqlite.DisposeAsync();
    }
}
