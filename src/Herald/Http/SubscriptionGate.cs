using Herald.Auth;
using Herald.Protocol;
using Herald.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// The one door of every held request, SSE stream and long poll alike, in this order: refused while the hub stops,
/// counted against the connection limits (before tokens and the store, so a reconnect storm's refusals cost neither),
/// the topic selectors, the subscriber's token, and the store's health (a store that cannot be reached could neither
/// replay nor feed live updates: say so instead of a silent stream).
/// </summary>
internal sealed partial class SubscriptionGate(
    ConnectionLimiter limiter,
    IHostApplicationLifetime lifetime,
    Authorizer authorizer,
    TopicSelectorStore selectorStore,
    IHistoryStore store,
    IOptions<HeraldOptions> options,
    HeraldMetrics metrics,
    ILogger<SubscriptionGate> logger)
{
    public const string LastEventIdHeader = "Last-Event-ID";
    public const string LastEventIdQuery = "lastEventID";

    private readonly int _maxTopics = options.Value.MaxTopics;

    /// <summary>The admitted subscription (dispose it when the request ends), or null when refused and answered.</summary>
    public async Task<AdmittedSubscription?> AdmitAsync(HttpContext context)
    {
        var (admitted, error) = await TryAdmitAsync(context).ConfigureAwait(false);
        if (error is not null)
        {
            await HttpResponses.WriteErrorAsync(context, error).ConfigureAwait(false);
        }

        return admitted;
    }

    private async ValueTask<(AdmittedSubscription?, HeraldError?)> TryAdmitAsync(HttpContext context)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return (null, HttpResponses.ShuttingDown);
        }

        var (lease, refusal) = limiter.TryAdmit(ClientAddress.Of(context));
        if (lease is null)
        {
            metrics.ConnectionRefused();
            LogConnectionRefused(logger, refusal!);
            return (null, HttpResponses.OverLimit(refusal!));
        }

        var request = context.Request;
        HeraldError? error;
        if (!TryReadSelectors(request, out var selectors, out error))
        {
            lease.Dispose();
            return (null, error);
        }

        var (claims, authError) = await authorizer.AuthenticateSubscriberAsync(request).ConfigureAwait(false);
        if (claims is null)
        {
            lease.Dispose();
            return (null, authError);
        }

        if (store is IHealthCheckable { Unavailable: { } unavailable })
        {
            lease.Dispose();
            return (null, HeraldError.Unavailable("the history store is unavailable: " + unavailable));
        }

        return (new AdmittedSubscription(lease, selectors, claims, ReadCursor(request)), null);
    }

    /// <summary>The compiled selectors of the <c>topic</c> parameters; refused when there are none or too many.</summary>
    private bool TryReadSelectors(HttpRequest request, out TopicSelector[] selectors, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out HeraldError? error)
    {
        var topics = request.Query["topic"];
        selectors = [];
        if (topics.Count == 0)
        {
            error = HeraldError.Invalid("missing \"topic\" query parameter: name at least one topic selector");
            return false;
        }

        if (topics.Count > _maxTopics)
        {
            error = HeraldError.Invalid($"too many topic selectors: {topics.Count} (at most {_maxTopics})");
            return false;
        }

        selectors = new TopicSelector[topics.Count];
        for (var i = 0; i < selectors.Length; i++)
        {
            selectors[i] = selectorStore.Get(topics[i] ?? "");
        }

        error = null;
        return true;
    }

    /// <summary>The <c>Last-Event-ID</c> header, else the <c>lastEventID</c> query parameter (for clients that cannot set headers).</summary>
    private static string? ReadCursor(HttpRequest request)
    {
        var header = request.Headers[LastEventIdHeader];
        if (header.Count > 0 && !string.IsNullOrEmpty(header[0]))
        {
            return header[0];
        }

        var query = request.Query[LastEventIdQuery];
        return query.Count > 0 && !string.IsNullOrEmpty(query[0]) ? query[0] : null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Subscriber refused: {Reason}")]
    private static partial void LogConnectionRefused(ILogger logger, string reason);
}
