using Herald.Auth;
using Herald.Protocol;
using Herald.Protocol.Matchers;
using Herald.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// The one door of every held request, SSE stream and long poll alike, in this order: refused while the hub stops,
/// counted against the connection limits (before tokens and the store, so a reconnect storm's refusals cost neither),
/// the topic selectors (their size and template limits), the templates per address, the subscriber's token, the
/// streams per token subject, and the store's health (a store that cannot be reached could neither replay nor feed
/// live updates: say so instead of a silent stream).
/// </summary>
internal sealed partial class SubscriptionGate(
    ConnectionLimiter limiter,
    SubscriptionQuotas quotas,
    IHostApplicationLifetime lifetime,
    Authorizer authorizer,
    TopicSelectorStore selectorStore,
    IHistoryStore store,
    IOptions<HeraldOptions> options,
    HeraldMetrics metrics,
    ILogger<SubscriptionGate> logger)
{
    public const string LastEventIdHeader = "Last-Event-ID";

    /// <summary>Herald's subscribe parameter asking which selectors each update matched (see <see cref="SseFrame.WithMatches"/>).</summary>
    public const string ReportMatchesParameter = "reportMatches";

    public const string LastEventIdQuery = "lastEventID";

    /// <summary>Mercure 1.0's spelling of the resume parameter, read after the header and before <see cref="LastEventIdQuery"/>.</summary>
    public const string LastEventIdParameter = "last_event_id";

    /// <summary>Mercure 1.0's answer to a resume (the request header keeps its name; only the answer was renamed).</summary>
    public const string MercureLastEventIdHeader = "Mercure-Last-Event-ID";

    /// <summary>
    /// 128 matcher states (the matcher's stack buffer): the text between expressions and the expressions themselves;
    /// the literal prefix and suffix cost nothing. Bounds what one template costs per topic character.
    /// </summary>
    public const int MaxTemplateStates = UriTemplateMatcher.MaxStackStates;

    private readonly HeraldOptions _options = options.Value;

    /// <summary>The admitted subscription (dispose it when the request ends), or null when refused and answered.</summary>
    public async ValueTask<AdmittedSubscription?> AdmitAsync(HttpContext context)
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
            metrics.Refused(LimitRefusal.ShuttingDown);
            return (null, HttpResponses.ShuttingDown);
        }

        var address = ClientAddress.Of(context);
        var (lease, refusal) = limiter.TryAdmit(address);
        if (lease is null)
        {
            return (null, Refuse(refusal!));
        }

        var holds = new AdmissionHolds(lease);
        var (admitted, error) = await TryAdmitHeldAsync(context, address, holds).ConfigureAwait(false);
        if (admitted is null)
        {
            holds.Dispose();
        }

        return (admitted, error);
    }

    /// <summary>The steps after the connection limit; every place taken is added to <paramref name="holds"/>.</summary>
    private async ValueTask<(AdmittedSubscription?, HeraldError?)> TryAdmitHeldAsync(HttpContext context, System.Net.IPAddress address, AdmissionHolds holds)
    {
        var request = context.Request;

        if (!TryReadDialect(request, out var selectors, out var error))
        {
            return (null, error);
        }

        if (!TryReadReportMatches(request, out var reportsMatches, out error))
        {
            return (null, error);
        }

        var (templates, templateRefusal) = quotas.HoldTemplates(address, selectors);
        if (templateRefusal is not null)
        {
            return (null, Refuse(templateRefusal));
        }

        holds.Templates = templates;

        var (claims, authError) = await authorizer.AuthenticateSubscriberAsync(request).ConfigureAwait(false);
        if (claims is null)
        {
            return (null, authError);
        }

        var (subject, subjectRefusal) = quotas.HoldSubject(claims.Subject);
        if (subjectRefusal is not null)
        {
            // Draft-08 suggests 429 for too many subscriptions under one token; 0.x clients keep the 503 they know.
            var refusal = Refuse(subjectRefusal);
            return (null, claims.Dialect == Auth.TokenDialect.V1 ? refusal with { Kind = ErrorKind.TooManyRequests } : refusal);
        }

        holds.Subject = subject;

        if (store is IHealthCheckable { Unavailable: { } unavailable })
        {
            return (null, HeraldError.Unavailable("the history store is unavailable: " + unavailable));
        }

        return (new AdmittedSubscription(holds, selectors, claims, ReadCursor(request))
        {
            ReportsMatches = reportsMatches,
            Deltas = Deltas.DeltaFormatsParser.Parse(QueryParameters.Get(request, Deltas.JsonDelta.QueryParameter)),
        }, null);
    }

    /// <summary>
    /// <c>reportMatches</c>: each update says which of the request's <c>topic</c> selectors it matched (Herald's, for a
    /// browser tab that leads a stream shared by tabs with other topics). Absent, <c>0</c> or <c>false</c>: off.
    /// </summary>
    private static bool TryReadReportMatches(HttpRequest request, out bool reportsMatches, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out HeraldError? error)
    {
        error = null;
        var values = QueryParameters.Get(request, ReportMatchesParameter);
        reportsMatches = false;
        if (values.Count == 0)
        {
            return true;
        }

        switch (values.Count == 1 ? values[0] : null)
        {
            case "" or "1" or "true":
                reportsMatches = true;
                return true;
            case "0" or "false":
                return true;
            default:
                error = HeraldError.Invalid($"\"{ReportMatchesParameter}\" takes 1, true, 0 or false, once");
                return false;
        }
    }

    private HeraldError Refuse(LimitRefusal refusal)
    {
        metrics.Refused(refusal.Limit);
        LogConnectionRefused(logger, refusal.Reason);
        return HttpResponses.OverLimit(refusal.Reason);
    }

    /// <summary>
    /// The subscription's dialect, per request (docs/mercure-1.md): <c>match</c> parameters make it Mercure 1.0,
    /// <c>topic</c> parameters 0.x, both at once is refused, and so is a dialect the hub's <see cref="HeraldOptions.Protocol"/>
    /// does not speak. Either way the result is selectors for the one index.
    /// </summary>
    private bool TryReadDialect(HttpRequest request, out TopicSelector[] selectors, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out HeraldError? error)
    {
        var rawQuery = request.QueryString.Value;
        if (!SubscribeMatchers.HasMatchParameters(rawQuery))
        {
            if (_options.ServedProtocol == HeraldProtocol.V1)
            {
                selectors = [];
                error = HeraldError.Invalid(QueryParameters.Contains(request, "topic")
                    ? "this hub speaks Mercure 1.0 only (Protocol=V1): subscribe with match= or matchURLPattern=, not topic="
                    : "missing topic matcher: name at least one with match= or matchURLPattern=");
                return false;
            }

            return TryReadSelectors(request, out selectors, out error);
        }

        selectors = [];
        if (QueryParameters.Contains(request, "topic"))
        {
            error = HeraldError.Invalid("a subscription uses either topic= (Mercure 0.x) or match parameters (Mercure 1.0), not both");
            return false;
        }

        if (_options.ServedProtocol == HeraldProtocol.Legacy)
        {
            error = HeraldError.Invalid("this hub speaks Mercure 0.x only (Protocol=Legacy): subscribe with topic=, or ask its operator for --protocol both");
            return false;
        }

        var hubUrl = HubUrl(request);
        var limits = new MatcherLimits(_options.MaxTopics, _options.MaxTopicLength, _options.MaxTemplateLength, _options.MaxTemplatesPerSubscription);
        var (matchers, matchError) = SubscribeMatchers.Parse(rawQuery, hubUrl, limits);
        if (matchError is not null)
        {
            error = matchError;
            return false;
        }

        selectors = [.. matchers.Select(m => TopicSelector.FromMatcher(m, hubUrl))];
        error = null;
        return true;
    }

    /// <summary>
    /// The compiled selectors of the <c>topic</c> parameters; refused when there are none or too many, one is too long,
    /// or its templates exceed the template limits. Lengths are checked before anything is compiled.
    /// </summary>
    private bool TryReadSelectors(HttpRequest request, out TopicSelector[] selectors, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out HeraldError? error)
    {
        var topics = QueryParameters.Get(request, "topic");
        selectors = [];
        if (topics.Count == 0)
        {
            error = HeraldError.Invalid("missing \"topic\" query parameter: name at least one topic selector");
            return false;
        }

        if (topics.Count > _options.MaxTopics)
        {
            error = HeraldError.Invalid($"too many topic selectors: {topics.Count} (at most {_options.MaxTopics})");
            return false;
        }

        var read = new TopicSelector[topics.Count];
        var templates = 0;
        for (var i = 0; i < read.Length; i++)
        {
            var pattern = topics[i] ?? "";
            if (pattern.Length > _options.MaxTopicLength)
            {
                error = HeraldError.Invalid($"a topic selector of {pattern.Length} characters is longer than the hub's limit of {_options.MaxTopicLength} (MaxTopicLength)");
                return false;
            }

            if (pattern.Contains('{') && pattern.Length > _options.MaxTemplateLength)
            {
                error = HeraldError.Invalid($"a URI template of {pattern.Length} characters is longer than the hub's limit of {_options.MaxTemplateLength} (MaxTemplateLength)");
                return false;
            }

            var selector = selectorStore.Get(pattern);
            if (selector.ExpressionCount > _options.MaxTemplateExpressions)
            {
                error = HeraldError.Invalid($"a URI template with {selector.ExpressionCount} expressions has more than the hub's limit of {_options.MaxTemplateExpressions} (MaxTemplateExpressions)");
                return false;
            }

            if (selector.MatcherStates > MaxTemplateStates)
            {
                error = HeraldError.Invalid($"a URI template whose matcher needs {selector.MatcherStates} states is over the hub's limit of {MaxTemplateStates}: shorten the literal text between its expressions");
                return false;
            }

            if (selector.IsTemplate && ++templates > _options.MaxTemplatesPerSubscription)
            {
                error = HeraldError.Invalid($"more than {_options.MaxTemplatesPerSubscription} URI templates in one subscription (MaxTemplatesPerSubscription); exact topics count only against MaxTopics");
                return false;
            }

            read[i] = selector;
        }

        selectors = read.Length == 1 ? read[0].Alone : read;
        error = null;
        return true;
    }

    /// <summary>The URL this request reached the hub at: the base of relative URL patterns and topics (a long poll's too).</summary>
    private static string HubUrl(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        if (path.EndsWith(PollEndpoint.PathSuffix, StringComparison.Ordinal))
        {
            path = path[..^PollEndpoint.PathSuffix.Length];
        }

        return $"{request.Scheme}://{(request.Host.HasValue ? request.Host.Value : "localhost")}{request.PathBase}{path}";
    }

    /// <summary>
    /// The <c>Last-Event-ID</c> header, else the query parameter (for clients that cannot set headers): 1.0's
    /// <c>last_event_id</c>, then 0.x's <c>lastEventID</c>, in either dialect, as the reference hub reads them.
    /// </summary>
    private static string? ReadCursor(HttpRequest request)
    {
        var header = request.Headers[LastEventIdHeader];
        if (header.Count > 0 && !string.IsNullOrEmpty(header[0]))
        {
            return header[0];
        }

        foreach (var name in (ReadOnlySpan<string>)[LastEventIdParameter, LastEventIdQuery])
        {
            var query = QueryParameters.Get(request, name);
            if (query.Count > 0 && !string.IsNullOrEmpty(query[0]))
            {
                return query[0];
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Subscriber refused: {Reason}")]
    private static partial void LogConnectionRefused(ILogger logger, string reason);
}
