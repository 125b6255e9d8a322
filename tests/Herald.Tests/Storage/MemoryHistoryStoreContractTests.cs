using Herald.Storage;
using Herald.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Storage;

/// <summary>The store contract against the memory store, on fake time; a restart is a new process, so a new history.</summary>
public sealed class MemoryHistoryStoreContractTests : HistoryStoreContract
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    protected override bool KeepsHistoryAcrossRestarts => false;

    protected override TimeSpan ShortAge => TimeSpan.FromMinutes(10);

    public override Task DisposeAsync() => Task.CompletedTask;

    protected override Task<IHistoryStore> OpenAsync(HistoryLimits limits) => Task.FromResult<IHistoryStore>(new MemoryHistoryStore(limits, _time));

    protected override Task<IHistoryStore> RestartAsync(IHistoryStore store, HistoryLimits limits) => OpenAsync(limits);

    protected override Task<IHistoryStore> ReplaceHistoryAsync(IHistoryStore store, HistoryLimits limits) => OpenAsync(limits);

    protected override Task LetTimePassAsync(TimeSpan duration)
    {
        _time.Advance(duration);
        return Task.CompletedTask;
    }
}
