using System.Globalization;
using System.Text.Json;
using Herald.Auth;
using Herald.Fanout;
using Herald.Protocol;
using Herald.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// <c>GET /.well-known/mercure/poll?topic=…&amp;lastEventID=…&amp;timeout=25</c>: long polling for clients behind proxies
/// that buffer streams. Answers <c>{ "updates": [...], "lastEventID": "…", "gap": false }</c> as soon as at least one
/// update the caller may see is stored after its cursor, or empty after <c>timeout</c> seconds. Same selectors,
/// authorization, private-update and replay rules as the SSE endpoint.
/// </summary>
internal sealed partial class PollEndpoint
{
    /// <summary>25 s: under the 30–60 s idle timeouts common in proxies, so the answer gets through.</summary>
    public const int DefaultTimeoutSeconds = 25;

    /// <summary>60 s: longer waits only meet more proxies that cut idle requests.</summary>
    public const int MaxTimeoutSeconds = 60;

    /// <summary>100 updates per answer keeps one answer small; a caller further behind asks again at once.</summary>
    public const int MaxUpdatesPerAnswer = 100;

    private readonly Authorizer _authorizer;
    private readonly SubscriberIndex _index;
    private readonly TopicSelectorStore _selectors;
    private readonly IHistoryStore _store;
    private readonly HeraldOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PollEndpoint> _logger;
    private readonly HeraldCors _cors;
    private readonly SubscriptionAdmission _admission;

    public PollEndpoint(
        HeraldCors cors,
        SubscriptionAdmission admission,
        Authorizer authorizer,
        SubscriberIndex index,
        TopicSelectorStore selectors,
        IHistoryStore store,
        IOptions<HeraldOptions> options,
        TimeProvider time,
        ILogger<PollEndpoint> logger)
    {
        _cors = cors;
        _admission = admission;
        _authorizer = authorizer;
        _index = index;
        _selectors = selectors;
        _store = store;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        _cors.Apply(context);

        // A waiting poll holds a request as long as a stream does, so it passes the same door.
        using var admitted = await _admission.AdmitAsync(context).ConfigureAwait(false);
        if (admitted is null)
        {
            return;
        }

        var (selectors, selectorError) = SubscriptionRequest.ReadSelectors(request, _selectors, _options.MaxTopics);
        if (selectors is null)
        {
            await HttpResponses.WriteErrorAsync(context, selectorError!).ConfigureAwait(false);
            return;
        }

        var (timeout, timeoutError) = ReadTimeout(request);
        if (timeoutError is not null)
        {
            await HttpResponses.WriteErrorAsync(context, timeoutError).ConfigureAwait(false);
            return;
        }

        var (claims, authError) = await _authorizer.AuthenticateSubscriberAsync(request).ConfigureAwait(false);
        if (claims is null)
        {
            await HttpResponses.WriteErrorAsync(context, authError!).ConfigureAwait(false);
            return;
        }

        // The deadline exists before the subscriber is registered, so once it is visible in the index the wait is bounded.
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);

        // A subscriber that never writes: the dispatcher's wake-up. Registered before the store is read, so an update
        // stored after the read still wakes the wait below, and one stored before it is found by the read.
        var subscriber = new Subscriber(selectors, claims, _options.SubscriberQueueLength, _options.SubscriberQueueBytes, _time);
        _index.Add(subscriber);
        try
        {
            var cursor = SubscriptionRequest.LastEventId(request);
            var (after, gap) = await StartPositionAsync(cursor, context.RequestAborted).ConfigureAwait(false);
            var updates = new List<Update>();
            while (true)
            {
                after = await CollectAsync(subscriber, after, updates, context.RequestAborted).ConfigureAwait(false);
                if (updates.Count > 0 || linked.IsCancellationRequested)
                {
                    break;
                }

                try
                {
                    if (!await subscriber.WaitForUpdateAsync(linked.Token).ConfigureAwait(false))
                    {
                        // The hub closed the subscriber (shutdown, expired token): answer with what the store has now.
                        await CollectAsync(subscriber, after, updates, context.RequestAborted).ConfigureAwait(false);
                        break;
                    }
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
                {
                    break;
                }
            }

            // Nothing arrived: echo the caller's cursor, never the id of an update it may not see.
            var lastEventId = updates.Count > 0 ? updates[^1].Id : cursor;
            await WriteAnswerAsync(context, updates, lastEventId, gap).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller left.
        }
        catch (HistoryStoreException e)
        {
            LogReadFailed(_logger, e.Message);
            await HttpResponses.WriteErrorAsync(context, new HeraldError(StatusCodes.Status503ServiceUnavailable, "cannot read history: " + e.Message)).ConfigureAwait(false);
        }
        finally
        {
            _index.Remove(subscriber);
            subscriber.Disconnect("poll answered");
        }
    }

    /// <summary>
    /// Where reading starts: after the cursor when retained; from the earliest retained update for <c>earliest</c>
    /// or a cursor no longer retained (the latter is a gap); from now on without a cursor.
    /// </summary>
    private async ValueTask<(long After, bool Gap)> StartPositionAsync(string? cursor, CancellationToken cancellationToken)
    {
        if (cursor is null)
        {
            return (await _store.GetHeadAsync(cancellationToken).ConfigureAwait(false), false);
        }

        if (cursor == UpdateValidator.EarliestId)
        {
            return (0, false);
        }

        var position = await _store.FindPositionAsync(cursor, cancellationToken).ConfigureAwait(false);
        return position is { } p ? (p, false) : (0, true);
    }

    /// <summary>Adds the updates after <paramref name="after"/> the subscriber may see, up to the answer's limit; returns the position read up to.</summary>
    private async ValueTask<long> CollectAsync(Subscriber subscriber, long after, List<Update> updates, CancellationToken cancellationToken)
    {
        while (updates.Count < MaxUpdatesPerAnswer)
        {
            var page = await _store.ReadAfterAsync(after, SubscribeEndpoint.ReplayPageSize, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return after;
            }

            foreach (var stored in page)
            {
                after = stored.Position;
                if (_authorizer.CanSee(subscriber.Claims, subscriber.Selectors, stored.Update))
                {
                    updates.Add(stored.Update);
                    if (updates.Count == MaxUpdatesPerAnswer)
                    {
                        return after;
                    }
                }
            }
        }

        return after;
    }

    private static (TimeSpan Timeout, HeraldError? Error) ReadTimeout(HttpRequest request)
    {
        var value = request.Query["timeout"];
        if (value.Count == 0 || string.IsNullOrEmpty(value[0]))
        {
            return (TimeSpan.FromSeconds(DefaultTimeoutSeconds), null);
        }

        if (!int.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return (TimeSpan.Zero, HeraldError.BadRequest($"\"timeout\" must be a whole number of seconds from 0 to {MaxTimeoutSeconds}"));
        }

        // Longer asks are served at the maximum rather than refused: the caller simply polls again sooner.
        return (TimeSpan.FromSeconds(Math.Min(seconds, MaxTimeoutSeconds)), null);
    }

    private static async Task WriteAnswerAsync(HttpContext context, List<Update> updates, string? lastEventId, bool gap)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "private, no-cache, no-store, must-revalidate, max-age=0";
        await using var json = new Utf8JsonWriter(response.Body);
        json.WriteStartObject();
        json.WriteStartArray("updates");
        foreach (var update in updates)
        {
            json.WriteStartObject();
            json.WriteString("id", update.Id);
            json.WriteString("type", update.Type ?? "message");
            json.WriteString("data", update.Data);
            if (update.Retry is { } retry)
            {
                json.WriteNumber("retry", retry);
            }
            else
            {
                json.WriteNull("retry");
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (lastEventId is null)
        {
            json.WriteNull("lastEventID");
        }
        else
        {
            json.WriteString("lastEventID", lastEventId);
        }

        json.WriteBoolean("gap", gap);
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Long poll could not read history: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string reason);
}
