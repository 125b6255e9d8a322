using System.Globalization;
using System.Text.Json;
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
/// update the caller may see is stored after its cursor, or empty after <c>timeout</c> seconds. It passes the same gate
/// and reads history the same way as the SSE endpoint. Every answer's <c>lastEventID</c> is a hub cursor to send back,
/// also when the answer is empty: nothing stored between two polls is lost, and nothing already read is read again.
/// </summary>
internal sealed partial class PollEndpoint
{
    /// <summary>Where long polls are mapped, under the hub's path.</summary>
    public const string PathSuffix = "/poll";

    /// <summary>25 s: under the 30–60 s idle timeouts common in proxies, so the answer gets through.</summary>
    public const int DefaultTimeoutSeconds = 25;

    /// <summary>60 s: longer waits only meet more proxies that cut idle requests.</summary>
    public const int MaxTimeoutSeconds = 60;

    /// <summary>100 updates per answer keeps one answer small; a caller further behind asks again at once.</summary>
    public const int MaxUpdatesPerAnswer = 100;

    private readonly SubscriptionGate _gate;
    private readonly HistoryReader _history;
    private readonly SubscriberIndex _index;
    private readonly HeraldOptions _options;
    private readonly TimeProvider _time;
    private readonly HeraldCors _cors;
    private readonly HeraldMetrics _metrics;
    private readonly ILogger<PollEndpoint> _logger;

    public PollEndpoint(
        SubscriptionGate gate,
        HistoryReader history,
        SubscriberIndex index,
        IOptions<HeraldOptions> options,
        TimeProvider time,
        HeraldCors cors,
        HeraldMetrics metrics,
        ILogger<PollEndpoint> logger)
    {
        _metrics = metrics;
        _gate = gate;
        _history = history;
        _index = index;
        _options = options.Value;
        _time = time;
        _cors = cors;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        _cors.Apply(context);
        if (!TryReadTimeout(context.Request, out var timeout, out var timeoutError))
        {
            await HttpResponses.WriteErrorAsync(context, timeoutError).ConfigureAwait(false);
            return;
        }

        using var admitted = await _gate.AdmitAsync(context).ConfigureAwait(false);
        if (admitted is null)
        {
            return;
        }

        // The deadline exists before the subscriber is registered, so once it is visible in the index the wait is bounded.
        // A poll is a connection too: it waits no longer than the hub's maximum connection lifetime.
        if (_options.MaxConnectionLifetime is { } lifetime && lifetime < timeout)
        {
            timeout = lifetime;
        }

        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);

        // A subscriber that never writes: the dispatcher's wake-up. Registered before the store is read, so an update
        // stored after the read still wakes the wait below, and one stored before it is found by the read.
        var subscriber = new Subscriber(admitted.Selectors, admitted.Claims, _options.SubscriberQueueLength, _options.SubscriberQueueBytes, _time);
        _index.Add(subscriber);
        _metrics.PollStarted();
        try
        {
            var aborted = context.RequestAborted;
            var start = admitted.Cursor is { } cursor
                ? await _history.ResumeAsync(cursor, admitted.Claims, aborted).ConfigureAwait(false)
                : await _history.NowAsync(aborted).ConfigureAwait(false);
            // Retained values first: as of the head without a cursor (answered at once), or those older than the replay.
            var retained = admitted.Cursor is { } c
                ? await RetainedStart.BeforeReplayAsync(_history, c, start, admitted.Claims, admitted.Selectors, aborted).ConfigureAwait(false)
                : await _history.ReadRetainedAsync(admitted.Claims, admitted.Selectors, start.After, aborted).ConfigureAwait(false);
            var updates = retained.Values.Select(static v => v.Update).ToList();
            var after = start.After;
            while (true)
            {
                after = await CollectAsync(subscriber, after, updates, aborted).ConfigureAwait(false);
                if (updates.Count > 0 || linked.IsCancellationRequested)
                {
                    break;
                }

                try
                {
                    if (!await subscriber.WaitForUpdateAsync(linked.Token).ConfigureAwait(false))
                    {
                        // The hub closed the subscriber (shutdown, expired token): answer with what the store has now.
                        after = await CollectAsync(subscriber, after, updates, aborted).ConfigureAwait(false);
                        break;
                    }
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !aborted.IsCancellationRequested)
                {
                    break;
                }
            }

            // A position, never an id: the caller may not see the last update read, and the cursor survives its eviction.
            if (retained.Cut)
            {
                context.Response.Headers[RetainedStart.CutHeader] = "true";
            }

            await WriteAnswerAsync(context, updates, admitted.ReportsMatches ? admitted.Selectors : null, ResumeCursor.Format(start.Generation, after), start.Gap, retained.Cut).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller left.
        }
        catch (HistoryStoreException e)
        {
            LogReadFailed(_logger, e);
            await HttpResponses.WriteErrorAsync(context, HeraldError.Unavailable("cannot read history: " + e.Message)).ConfigureAwait(false);
        }
        finally
        {
            _index.Remove(subscriber);
            _metrics.PollEnded();
            subscriber.Disconnect("poll answered");
        }
    }

    /// <summary>Adds the updates after <paramref name="after"/> the subscriber may see, up to the answer's limit; returns the position read up to.</summary>
    private async ValueTask<long> CollectAsync(Subscriber subscriber, long after, List<Update> updates, CancellationToken cancellationToken)
    {
        while (updates.Count < MaxUpdatesPerAnswer)
        {
            var page = await _history.ReadAsync(subscriber.Claims, subscriber.Selectors, after, MaxUpdatesPerAnswer - updates.Count, cancellationToken).ConfigureAwait(false);
            after = page.ReadUpTo;
            foreach (var stored in page.Visible)
            {
                updates.Add(stored.Update);
            }

            if (page.End)
            {
                break;
            }
        }

        return after;
    }

    private static bool TryReadTimeout(HttpRequest request, out TimeSpan timeout, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out HeraldError? error)
    {
        var value = QueryParameters.Get(request, "timeout");
        error = null;
        timeout = TimeSpan.FromSeconds(DefaultTimeoutSeconds);
        if (value.Count == 0 || string.IsNullOrEmpty(value[0]))
        {
            return true;
        }

        if (!int.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            error = HeraldError.Invalid($"\"timeout\" must be a whole number of seconds from 0 to {MaxTimeoutSeconds}");
            return false;
        }

        // Longer asks are served at the maximum rather than refused: the caller simply polls again sooner.
        timeout = TimeSpan.FromSeconds(Math.Min(seconds, MaxTimeoutSeconds));
        return true;
    }

    private static async Task WriteAnswerAsync(HttpContext context, List<Update> updates, TopicSelector[]? reportMatches, string cursor, bool gap, bool retainedCut)
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

            if (reportMatches is not null)
            {
                // As the stream's herald-matches field: indices of the request's topic selectors this update matched.
                json.WriteStartArray("matches");
                for (var i = 0; i < reportMatches.Length; i++)
                {
                    if (update.Topics.Any(reportMatches[i].Matches))
                    {
                        json.WriteNumberValue(i);
                    }
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("lastEventID", cursor);
        json.WriteBoolean("gap", gap);
        if (retainedCut)
        {
            json.WriteBoolean("retainedCut", true);
        }
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Long poll could not read history")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
