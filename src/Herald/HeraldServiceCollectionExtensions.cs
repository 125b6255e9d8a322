using Herald.Auth;
using Herald.Fanout;
using Herald.Http;
using Herald.Protocol;
using Herald.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class HeraldServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Herald hub: fan-out, authorization, heartbeats and an in-memory history (replace
    /// <see cref="IHistoryStore"/> for a durable one). Map its endpoint with <c>app.MapHerald()</c>.
    /// </summary>
    public static IServiceCollection AddHerald(this IServiceCollection services, Action<Herald.HeraldOptions>? configure = null)
    {
        var options = services.AddOptions<Herald.HeraldOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Herald.HeraldOptions>, Herald.HeraldOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<Herald.HeraldMetrics>();
        services.TryAddSingleton<TopicSelectorStore>();
        services.TryAddSingleton<Authorizer>();
        services.TryAddSingleton<SubscriberIndex>();
        services.TryAddSingleton<IHistoryStore>(HistoryStoreFactory.Create);
        services.TryAddSingleton<HeraldPublisher>();
        services.TryAddSingleton<Herald.IHeraldPublisher>(sp => sp.GetRequiredService<HeraldPublisher>());
        services.TryAddSingleton<ConnectionLimiter>();
        services.TryAddSingleton<SubscriptionQuotas>();
        services.TryAddSingleton<SubscriptionGate>();
        services.TryAddSingleton<HistoryReader>();
        services.TryAddSingleton<HeraldCors>();
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<Herald.HeraldOptions>>(static (cors, herald) =>
            {
                if (HeraldCors.BuildPolicy(herald.Value) is { } policy)
                {
                    cors.AddPolicy(HeraldCors.PolicyName, policy);
                }
            });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Hosting.IStartupFilter, ForwardedHeadersStartupFilter>());
        // Non-ASCII ids resume: Last-Event-ID is read and written as UTF-8 (composed with the host's own selectors).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>, LastEventIdHeaderEncoding>());
        services.TryAddSingleton<PublishEndpoint>();
        services.TryAddSingleton<SubscribeEndpoint>();
        services.TryAddSingleton<PollEndpoint>();
        services.TryAddSingleton<Herald.Deltas.RetainedDeltas>();
        services.TryAddSingleton<Dispatcher>();
        services.TryAddSingleton<Herald.Observability.HubStatistics>();
        services.TryAddSingleton<Herald.Observability.StatsReport>();
        services.TryAddSingleton<StatsEndpoint>();
        services.TryAddSingleton<Herald.Subscriptions.ISubscriptionLedger>(static sp => new Herald.Subscriptions.LocalSubscriptionLedger(sp.GetRequiredService<IHistoryStore>()));
        services.TryAddSingleton<Herald.Subscriptions.SubscriptionRegistry>();
        services.TryAddSingleton<SubscriptionsEndpoint>();
        services.AddHostedService<Herald.Observability.StatsBroadcaster>();
        services.AddHostedService(sp => sp.GetRequiredService<Dispatcher>());
        // Registered after the dispatcher, so it stops first: the closes of streams ended by shutdown are recorded while the store is open.
        services.AddHostedService(sp => sp.GetRequiredService<Herald.Subscriptions.SubscriptionRegistry>());
        services.AddHostedService<HeartbeatService>();
        services.AddHostedService<GracefulShutdown>();
        services.TryAddSingleton<Herald.Bridges.ITopicInterest, Herald.Bridges.LocalTopicInterest>();
        services.TryAddSingleton<Herald.Bridges.IBridgeLease, Herald.Bridges.LocalBridgeLease>();
        services.TryAddSingleton<Herald.Bridges.BridgeService>();
        services.AddHostedService(sp => sp.GetRequiredService<Herald.Bridges.BridgeService>());
        // Tagged "ready": a host maps it on its readiness endpoint, never on liveness (a Redis outage is not a reason to restart).
        services.AddHealthChecks().AddCheck<HistoryStoreHealthCheck>(HistoryStoreHealthCheck.Name, tags: [HistoryStoreHealthCheck.ReadyTag]);
        return services;
    }
}
