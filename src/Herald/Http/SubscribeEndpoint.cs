using System.Buffers;
using Herald.Auth;
using Herald.Fanout;
using Herald.Protocol;
using Herald.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// <c>GET /.well-known/mercure?topic=…</c>: registers the subscriber (live frames start queueing), replays what it
/// missed from the store, then streams live frames, skipping those the replay already sent: no gap, no duplicate.
/// </summary>
internal sealed partial class SubscribeEndpoint
{
    /// <summary>Replay reads the store in pages of this size, so a long replay never holds the store for long.</summary>
    public const int ReplayPageSize = 256;

    /// <summary>
    /// 5 s: how soon a client refused because the store is unreachable should try again (EventSource honours the
    /// header only through our retry logic; clients that back off on their own are fine too).
    /// </summary>
    public const string StoreRetryAfterSeconds = "5";

    private static ReadOnlySpan<byte> OpenComment => ":\n\n"u8;

    private readonly Authorizer _authorizer;
    private readonly SubscriberIndex _index;
    private readonly TopicSelectorStore _selectors;
    private readonly IHistoryStore _store;
    private readonly HeraldOptions _options;
    private readonly TimeProvider _time;
    private readonly HeraldMetrics _metrics;
    private readonly ILogger<SubscribeEndpoint> _logger;
    private readonly SubscriptionAdmission _admission;
    private readonly HeraldCors _cors;

    /// <summary>Store reads of replays in flight; a replay takes a slot per page, never while writing to its client.</summary>
    private readonly SemaphoreSlim _replaySlots;

    public SubscribeEndpoint(
        Authorizer authorizer,
        SubscriberIndex index,
        TopicSelectorStore selectors,
        IHistoryStore store,
        IOptions<HeraldOptions> options,
        TimeProvider time,
        HeraldMetrics metrics,
        SubscriptionAdmission admission,
        HeraldCors cors,
        ILogger<SubscribeEndpoint> logger)
    {
        _admission = admission;
        _cors = cors;
        _replaySlots = new SemaphoreSlim(options.Value.MaxConcurrentReplays);
        _authorizer = authorizer;
        _index = index;
        _selectors = selectors;
        _store = store;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        _cors.Apply(context);
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

        var (claims, authError) = await _authorizer.AuthenticateSubscriberAsync(request).ConfigureAwait(false);
        if (claims is null)
        {
            await HttpResponses.WriteErrorAsync(context, authError!).ConfigureAwait(false);
            return;
        }

        // A store that cannot be reached could neither replay nor feed live updates: say so instead of a silent stream.
        if (_store is IHealthCheckable { Unavailable: { } unavailable })
        {
            context.Response.Headers.RetryAfter = StoreRetryAfterSeconds;
            await HttpResponses.WriteErrorAsync(context, new HeraldError(StatusCodes.Status503ServiceUnavailable, "the history store is unavailable: " + unavailable)).ConfigureAwait(false);
            return;
        }

        var subscriber = new Subscriber(selectors, claims, _options.SubscriberQueueLength, _options.SubscriberQueueBytes, _time);
        _index.Add(subscriber);
        _metrics.SubscriberOpened();
        try
        {
            await StreamAsync(context, subscriber, SubscriptionRequest.LastEventId(request)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client left, or the hub dropped it; either way the stream is over.
        }
        catch (IOException)
        {
        }
        catch (HistoryStoreException e)
        {
            // Before the stream starts the client gets a clear 503; after, the stream ends and the client resumes.
            LogReplayFailed(_logger, e.Message);
            if (!context.Response.HasStarted)
            {
                context.Response.Headers.RetryAfter = StoreRetryAfterSeconds;
                await HttpResponses.WriteErrorAsync(context, new HeraldError(StatusCodes.Status503ServiceUnavailable, "cannot replay: " + e.Message)).ConfigureAwait(false);
            }
        }
        finally
        {
            _index.Remove(subscriber);
            _metrics.SubscriberClosed();
            subscriber.Disconnect("connection ended");
            if (subscriber.CloseReason is { } reason)
            {
                LogStreamEnded(_logger, reason);
            }
        }
    }

    private async Task StreamAsync(HttpContext context, Subscriber subscriber, string? lastEventId)
    {
        // Registered before the resume point is looked up: anything stored later is queued live, anything earlier is replayed.
        long replayAfter = 0;
        if (lastEventId is not null)
        {
            var (after, complete) = await ResumePointAsync(lastEventId, context.RequestAborted).ConfigureAwait(false);
            replayAfter = after;

            // Only the requested id itself or "earliest": never some other update's id, which could be private.
            context.Response.Headers[SubscriptionRequest.LastEventIdHeader] = complete ? lastEventId : UpdateValidator.EarliestId;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "private, no-cache, no-store, must-revalidate, max-age=0";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // Dropping the subscriber aborts the connection, which cancels RequestAborted: one token ends every wait below.
        using var abortOnDrop = subscriber.Disconnected.Register(static state => ((HttpContext)state!).Abort(), context);
        var cancellationToken = context.RequestAborted;
        var output = response.BodyWriter;

        // Headers and a first comment go out at once so EventSource fires onopen without waiting for an update.
        output.Write(OpenComment);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        subscriber.MarkWritten();

        if (lastEventId is not null)
        {
            subscriber.ReplayedUpTo = await ReplayAsync(subscriber, replayAfter, output, cancellationToken).ConfigureAwait(false);
        }

        await subscriber.RunAsync(output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Where replay starts, and whether it covers everything after the requested id. An unknown id replays everything
    /// retained; more than <see cref="HeraldOptions.MaxReplay"/> updates replay only the newest. Either way the client
    /// is told <c>earliest</c>: it may have missed updates and should refetch its state.
    /// </summary>
    private async Task<(long After, bool Complete)> ResumePointAsync(string lastEventId, CancellationToken cancellationToken)
    {
        await _replaySlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var position = lastEventId == UpdateValidator.EarliestId
                ? null
                : await _store.FindPositionAsync(lastEventId, cancellationToken).ConfigureAwait(false);
            var after = position ?? 0;
            var head = await _store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
            if (head - after <= _options.MaxReplay)
            {
                return (after, position is not null);
            }

            // Positions may start above 1 once old updates are evicted: count from the first one still retained.
            var first = await _store.ReadAfterAsync(after, 1, cancellationToken).ConfigureAwait(false);
            if (first.Count == 0 || head - first[0].Position + 1 <= _options.MaxReplay)
            {
                return (after, position is not null);
            }

            return (head - _options.MaxReplay, false);
        }
        finally
        {
            _replaySlots.Release();
        }
    }

    /// <summary>Writes every retained update after the position that the subscriber may see; returns the last position read.</summary>
    private async Task<long> ReplayAsync(Subscriber subscriber, long after, System.IO.Pipelines.PipeWriter output, CancellationToken cancellationToken)
    {
        var last = after;
        while (true)
        {
            IReadOnlyList<StoredUpdate> page;
            await _replaySlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                page = await _store.ReadAfterAsync(last, ReplayPageSize, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _replaySlots.Release();
            }

            if (page.Count == 0)
            {
                return last;
            }

            foreach (var stored in page)
            {
                last = stored.Position;
                if (_authorizer.CanSee(subscriber.Claims, subscriber.Selectors, stored.Update))
                {
                    output.Write(stored.Frame.Bytes.Span);
                }
            }

            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            subscriber.MarkWritten();
        }
    }


    [LoggerMessage(Level = LogLevel.Warning, Message = "Replay failed: {Reason}")]
    private static partial void LogReplayFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Subscriber stream ended: {Reason}")]
    private static partial void LogStreamEnded(ILogger logger, string reason);
}
