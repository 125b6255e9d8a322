using System.Buffers;
using System.IO.Pipelines;
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
    private readonly SubscriptionGate _gate;
    private readonly HistoryReader _history;
    private readonly SubscriberIndex _index;
    private readonly HeraldOptions _options;
    private readonly TimeProvider _time;
    private readonly HeraldMetrics _metrics;
    private readonly HeraldCors _cors;
    private readonly Subscriptions.SubscriptionRegistry _subscriptions;
    private readonly ILogger<SubscribeEndpoint> _logger;

    public SubscribeEndpoint(
        SubscriptionGate gate,
        HistoryReader history,
        SubscriberIndex index,
        IOptions<HeraldOptions> options,
        TimeProvider time,
        HeraldMetrics metrics,
        HeraldCors cors,
        Subscriptions.SubscriptionRegistry subscriptions,
        ILogger<SubscribeEndpoint> logger)
    {
        _gate = gate;
        _history = history;
        _index = index;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _cors = cors;
        _subscriptions = subscriptions;
        _logger = logger;
    }

    /// <remarks>
    /// Not an async method: once the stream is live the request's task is the writer loop's own
    /// (<see cref="Subscriber.RunAsync(PipeWriter, CancellationToken, IStreamEnd?)"/>), which ends the stream's
    /// bookkeeping itself (<see cref="LiveStream"/>), so an idle stream holds one state machine instead of two (~200
    /// bytes each). Only a start that had to wait (a slow replay, a contended slot) keeps a second one.
    /// </remarks>
    public Task HandleAsync(HttpContext context)
    {
        var started = StartAsync(context);
        if (!started.IsCompletedSuccessfully)
        {
            return RunWhenStartedAsync(started);
        }

        return started.Result is { } live ? live.RunAsync() : Task.CompletedTask;
    }

    private static async Task RunWhenStartedAsync(ValueTask<LiveStream?> started)
    {
        if (await started.ConfigureAwait(false) is { } live)
        {
            await live.RunAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Admits, registers and replays; the stream ready for its writer loop, or null when it already ended (refused, failed, gone).</summary>
    private async ValueTask<LiveStream?> StartAsync(HttpContext context)
    {
        _cors.Apply(context);
        var admitted = await _gate.AdmitAsync(context).ConfigureAwait(false);
        if (admitted is null)
        {
            return null;
        }

        LiveStream live;
        try
        {
            ForgetParsedRequest(context);
            var subscriber = new Subscriber(admitted.Selectors, admitted.Claims, _options.SubscriberQueueLength, _options.SubscriberQueueBytes, _time)
            {
                Encoding = _options.Compression && StreamCompression.AcceptsGzip(context.Request) ? new GzipStreamEncoding()
                    : DirectStream.Applies(context) ? ChunkedStreamEncoding.Instance
                    : StreamEncoding.Identity,
                Metrics = _metrics,
                ReportsMatches = admitted.ReportsMatches,
                Deltas = admitted.Deltas == Deltas.DeltaFormats.None ? null : new Deltas.DeltaBases(admitted.Deltas),
            };
            var lifetime = StartLifetime(subscriber);
            _index.Add(subscriber);
            _metrics.StreamOpened();
            live = new LiveStream(this, context, subscriber, admitted.Holds, lifetime, _subscriptions.Open(admitted.Selectors, admitted.Claims));
        }
        catch
        {
            admitted.Dispose();
            throw;
        }

        var streaming = false;
        try
        {
            await StreamAsync(context, live.Subscriber, admitted).ConfigureAwait(false);
            streaming = true;
            return live;
        }
        catch (OperationCanceledException)
        {
            // The client left, or the hub dropped it, during the replay; either way the stream is over.
        }
        catch (IOException)
        {
        }
        catch (HistoryStoreException e)
        {
            // Before the stream starts the client gets a clear 503; after, the stream ends and the client resumes.
            LogReplayFailed(_logger, e);
            if (!context.Response.HasStarted)
            {
                // An error answer is framed by Kestrel again, whatever the stream had set up.
                context.Response.Headers.TransferEncoding = default;
                await HttpResponses.WriteErrorAsync(context, HeraldError.Unavailable("cannot replay: " + e.Message)).ConfigureAwait(false);
            }
        }
        finally
        {
            if (!streaming)
            {
                live.Ended(live.Subscriber);
            }
        }

        return null;
    }

    private async Task StreamAsync(HttpContext context, Subscriber subscriber, AdmittedSubscription admitted)
    {
        // Registered before the resume point is looked up: anything stored later is queued live, anything earlier is
        // replayed. The first page is read before the answer starts, so a store that cannot replay gets a clear 503.
        HistoryPage? firstPage = null;
        var replayStarted = _time.GetTimestamp();

        // Retained values go first; a snapshot without a cursor ends with the hub cursor of the head it was taken at.
        var retained = RetainedSnapshot.Empty;
        ResumePoint snapshotAt = default;
        if (admitted.Cursor is { } cursor)
        {
            var resume = await _history.ResumeAsync(cursor, admitted.Claims, context.RequestAborted).ConfigureAwait(false);
            retained = await RetainedStart.BeforeReplayAsync(_history, cursor, resume, admitted.Claims, admitted.Selectors, context.RequestAborted).ConfigureAwait(false);
            snapshotAt = resume;
            firstPage = await _history.ReadAsync(subscriber.Claims, subscriber.Selectors, resume.After, HistoryReader.PageSize, context.RequestAborted).ConfigureAwait(false);

            // The caller's own cursor, or "earliest" on a gap: never another update's id, which could be private.
            // Under both names: the reference hub's 1.0 answer (Mercure-Last-Event-ID) and draft-08's and 0.x's.
            var answered = resume.Gap ? ResumeCursor.EarliestId : admitted.CursorText;
            context.Response.Headers[SubscriptionGate.MercureLastEventIdHeader] = answered;
            context.Response.Headers[SubscriptionGate.LastEventIdHeader] = answered;
        }
        else
        {
            snapshotAt = await _history.NowAsync(context.RequestAborted).ConfigureAwait(false);
            retained = await _history.ReadRetainedAsync(admitted.Claims, admitted.Selectors, snapshotAt.After, context.RequestAborted).ConfigureAwait(false);
        }

        if (retained.Cut)
        {
            context.Response.Headers[RetainedStart.CutHeader] = "true";
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "private, no-cache, no-store, must-revalidate, max-age=0";
        response.Headers["X-Accel-Buffering"] = "no";
        if (_options.Compression)
        {
            // Caches and proxies must not hand a compressed stream to a client that did not ask for one, or the reverse.
            response.Headers.Vary = "Accept-Encoding";
        }

        var encoding = subscriber.Encoding;
        if (encoding.ContentEncoding is { } contentEncoding)
        {
            response.Headers.ContentEncoding = contentEncoding;
        }
        else if (encoding is ChunkedStreamEncoding)
        {
            DirectStream.Start(response);
        }

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // Dropping the subscriber aborts the connection, which cancels RequestAborted: one token ends every wait below.
        // (No token registration: the subscriber keeps the callback itself, so an idle stream holds no token source for it.)
        subscriber.OnAbort(static state => ((HttpContext)state!).Abort(), context);
        var cancellationToken = context.RequestAborted;
        var output = response.BodyWriter;

        // Headers and a first comment go out at once so EventSource fires onopen without waiting for an update.
        encoding.Start(output);
        encoding.Write(output, SseFrame.Heartbeat);
        RetainedStart.Write(subscriber, output, retained);
        if (firstPage is { } page)
        {
            using var replay = HeraldTracing.Source.StartActivity("herald.replay");
            var (upTo, sent) = await ReplayAsync(subscriber, page, output, cancellationToken).ConfigureAwait(false);
            replay?.SetTag("herald.replay.updates", sent);
            subscriber.ReplayedUpTo = upTo;
            _metrics.Replayed(sent, _time.GetElapsedTime(replayStarted));
            if (!retained.IsEmpty)
            {
                // Where the replay ended, as a cursor: the retained values' own ids may be gone from history.
                encoding.Write(output, SseFrame.CursorOnly(ResumeCursor.Format(snapshotAt.Generation, upTo)));
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        else if (!retained.IsEmpty)
        {
            // Live frames up to the snapshot's head are older than it: the snapshot already holds what they would tell.
            subscriber.ReplayedUpTo = snapshotAt.After;
            encoding.Write(output, SseFrame.CursorOnly(ResumeCursor.Format(snapshotAt.Generation, snapshotAt.After)));
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            subscriber.MarkWritten();
        }
        else
        {
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            subscriber.MarkWritten();
        }
    }

    /// <summary>
    /// Ends the stream at <see cref="HeraldOptions.MaxConnectionLifetime"/> (null when unset): gracefully, queued frames
    /// then a short <c>retry:</c>, so the client reconnects, presents its token again and resumes from its last id. Up
    /// to a tenth earlier at random, so streams opened together (a deploy, a reconnect storm) do not all come back at once.
    /// </summary>
    private ITimer? StartLifetime(Subscriber subscriber)
    {
        if (_options.MaxConnectionLifetime is not { } max)
        {
            return null;
        }

        var due = max - TimeSpan.FromTicks((long)(max.Ticks * 0.1 * Random.Shared.NextDouble()));
        return _time.CreateTimer(
            static state => ((Subscriber)state!).Close(SseFrame.RetryHint(Random.Shared.NextInt64(100, 1000)), "the stream reached the hub's maximum connection lifetime (MaxConnectionLifetime)"),
            subscriber,
            due,
            Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// The gate reads the query without parsing it into <c>request.Query</c>, but a token in a cookie parses the cookies
    /// (and other code may have parsed the query); a stream would keep both for its whole life (~370 bytes per idle
    /// stream). Anything that reads them later parses them again.
    /// </summary>
    private static void ForgetParsedRequest(HttpContext context)
    {
        context.Features.Set<IQueryFeature>(null);
        context.Features.Set<IRequestCookiesFeature>(null);

        // The request caches its features until it next fetches one after the collection changed: fetch one now.
        _ = context.Request.Headers;
    }

    /// <summary>Writes every retained update from the page on that the subscriber may see; returns the last position read and how many it sent.</summary>
    private async Task<(long UpTo, int Sent)> ReplayAsync(Subscriber subscriber, HistoryPage page, PipeWriter output, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (true)
        {
            foreach (var stored in page.Visible)
            {
                subscriber.Encoding.Write(output, subscriber.FrameFor(stored));
            }

            sent += page.Visible.Count;
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            subscriber.MarkWritten();
            if (page.End)
            {
                return (page.ReadUpTo, sent);
            }

            page = await _history.ReadAsync(subscriber.Claims, subscriber.Selectors, page.ReadUpTo, HistoryReader.PageSize, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Replay failed")]
    private static partial void LogReplayFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Subscriber stream ended: {Reason}")]
    private static partial void LogStreamEnded(ILogger logger, string reason);
}
