using Herald;
using Herald.Redis;
using Herald.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class RedisServiceCollectionExtensions
{
    /// <summary>The form named in configuration errors.</summary>
    public const string StoreForm = "redis://[user:pass@]HOST[:PORT][/DB][?prefix=P]";

    /// <summary>
    /// Keeps history in Redis at the <c>redis://</c> or <c>rediss://</c> URL in <see cref="HeraldOptions.Store"/>, so
    /// several hub nodes on one Redis behave as one hub. Call with <c>AddHerald()</c>, in either order: this registration
    /// replaces the default store.
    /// </summary>
    public static IServiceCollection AddHeraldRedis(this IServiceCollection services, Action<RedisStoreOptions>? configure = null)
    {
        var options = services.AddOptions<RedisStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddSingleton(new HistoryStoreScheme(RedisStoreUrl.Scheme, StoreForm));
        services.AddSingleton(new HistoryStoreScheme(RedisStoreUrl.TlsScheme, "rediss://…"));
        services.AddSingleton<IHistoryStore>(static sp =>
        {
            var herald = sp.GetRequiredService<IOptions<HeraldOptions>>().Value;
            if (!RedisStoreUrl.IsRedis(herald.Store))
            {
                throw new HistoryStoreException($"the Redis store is registered but Store is \"{herald.Store}\": set it to {StoreForm}");
            }

            return RedisHistoryStore.Connect(
                herald.Store,
                sp.GetRequiredService<IOptions<RedisStoreOptions>>().Value,
                HistoryLimits.From(herald, HistoryLimits.DurableDefaults),
                sp.GetRequiredService<ILogger<RedisHistoryStore>>(),
                sp.GetService<HeraldMetrics>());
        });
        // Bridged topics are polled by one node at a time, whichever holds the topic's lease in Redis.
        services.AddSingleton<Herald.Bridges.IBridgeLease>(static sp => sp.GetRequiredService<IHistoryStore>() is RedisHistoryStore redis
            ? new RedisBridgeLease(redis)
            : new Herald.Bridges.LocalBridgeLease());

        // The cluster's subscriptions live beside the history (replacing the single node's, in either order of registration).
        services.AddSingleton<Herald.Subscriptions.ISubscriptionLedger>(static sp => new RedisSubscriptionLedger(
            (RedisHistoryStore)sp.GetRequiredService<IHistoryStore>(),
            sp.GetRequiredService<IOptions<HeraldOptions>>().Value.SubscriptionsLease));
        return services;
    }
}
