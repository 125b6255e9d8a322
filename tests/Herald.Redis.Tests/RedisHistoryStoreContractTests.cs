using Herald.Redis.Tests.Infrastructure;
using Herald.Storage;
using Herald.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Redis.Tests;

/// <summary>
/// The store contract against a real redis-server (<c>appendonly yes</c>, <c>appendfsync always</c>). A restart stops
/// the node and kills and restarts Redis; a replaced history is FLUSHALL under a running node.
/// </summary>
public sealed class RedisHistoryStoreContractTests : HistoryStoreContract
{
    private readonly List<RedisHistoryStore> _open = [];
    private RedisServer _redis = null!;

    protected override bool KeepsHistoryAcrossRestarts => true;

    /// <summary>Age is measured on Redis's clock (shared by every node), which no TimeProvider can advance.</summary>
    protected override TimeSpan ShortAge => TimeSpan.FromMilliseconds(200);

    public override async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public override async Task DisposeAsync()
    {
        foreach (var store in _open)
        {
            await store.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    protected override Task<IHistoryStore> OpenAsync(HistoryLimits limits)
    {
        var store = RedisHistoryStore.Connect(_redis.Url, new RedisStoreOptions(), limits, NullLogger<RedisHistoryStore>.Instance);
        _open.Add(store);
        return Task.FromResult<IHistoryStore>(store);
    }

    protected override async Task<IHistoryStore> RestartAsync(IHistoryStore store, HistoryLimits limits)
    {
        var redis = (RedisHistoryStore)store;
        _open.Remove(redis);
        await redis.DisposeAsync();
        await _redis.KillAsync();
        await _redis.RestartAsync();
        return await OpenAsync(limits);
    }

    /// <summary>The node keeps running: the same store instance must notice the history is another.</summary>
    protected override async Task<IHistoryStore> ReplaceHistoryAsync(IHistoryStore store, HistoryLimits limits)
    {
        await _redis.FlushAllAsync();
        return store;
    }

    /// <summary>Real time passing is the behaviour under test here (Redis's clock), not a stand-in for an event.</summary>
    protected override Task LetTimePassAsync(TimeSpan duration) => Task.Delay(duration);

    /// <summary>Readiness is the only sign that the feed reached Redis: polled, as a load balancer polls it.</summary>
    protected override async Task FeedStartedAsync(IHistoryStore store)
    {
        using var limit = new CancellationTokenSource(WaitLimit);
        while (((IHealthCheckable)store).Unavailable is not null)
        {
            await Task.Delay(20, limit.Token);
        }
    }
}
