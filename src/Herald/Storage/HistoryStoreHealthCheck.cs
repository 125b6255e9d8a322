using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Herald.Storage;

/// <summary>Readiness: healthy when the store is reachable (always, for stores without <see cref="IHealthCheckable"/>).</summary>
public sealed class HistoryStoreHealthCheck : IHealthCheck
{
    public const string Name = "history-store";

    /// <summary>The tag a readiness endpoint filters on, so liveness (<c>/healthz</c>) never depends on the store.</summary>
    public const string ReadyTag = "ready";

    private readonly IHistoryStore _store;

    public HistoryStoreHealthCheck(IHistoryStore store)
    {
        _store = store;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_store is IHealthCheckable { Unavailable: { } reason }
            ? HealthCheckResult.Unhealthy(reason)
            : HealthCheckResult.Healthy());
}
