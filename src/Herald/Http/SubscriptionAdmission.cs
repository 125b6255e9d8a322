using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Http;

/// <summary>
/// The door every held request (SSE stream or long poll) passes first: refused while the hub stops, and counted
/// against the connection limits. Runs before tokens and the store, so a reconnect storm's refusals cost neither.
/// </summary>
internal sealed partial class SubscriptionAdmission(
    ConnectionLimiter limiter,
    IHostApplicationLifetime lifetime,
    HeraldMetrics metrics,
    ILogger<SubscriptionAdmission> logger)
{
    /// <summary>A lease to dispose when the request ends, or null when the request was refused and answered.</summary>
    public async Task<ConnectionLimiter.Lease?> AdmitAsync(HttpContext context)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await HttpResponses.WriteShuttingDownAsync(context).ConfigureAwait(false);
            return null;
        }

        var (lease, refusal) = limiter.TryAdmit(ClientAddress.Of(context));
        if (lease is null)
        {
            metrics.ConnectionRefused();
            LogConnectionRefused(logger, refusal!);
            await HttpResponses.WriteOverLimitAsync(context, refusal!).ConfigureAwait(false);
        }

        return lease;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Subscriber refused: {Reason}")]
    private static partial void LogConnectionRefused(ILogger logger, string reason);
}
