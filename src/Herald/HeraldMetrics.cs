using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Herald;

/// <summary>
/// The hub's instruments, on the <c>Herald</c> meter: export them with OpenTelemetry
/// (<c>AddMeter(HeraldMetrics.MeterName)</c>; <c>herald serve --metrics</c> serves them to Prometheus) or watch them with
/// <c>dotnet-counters</c>. No label ever carries a topic, a subscriber or a token: every tag takes a few fixed values,
/// so the series stay bounded whatever clients send.
/// </summary>
public sealed class HeraldMetrics
{
    public const string MeterName = "Herald";

    /// <summary>One delivery in this many is timed from queue to flush: the fan-out loop never pays for every one.</summary>
    public const int DeliverySampleRate = 64;

    // Latencies of a real-time hub sit between a millisecond and a few seconds.
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly int[] ReplayBuckets = [0, 1, 10, 100, 1_000, 10_000, 100_000];
    private static readonly int[] BatchBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1024];
    private static readonly long[] LagBuckets = [0, 1, 10, 100, 1_000, 10_000, 100_000];

    private readonly Counter<long> _publishes;
    private readonly Counter<long> _dispatches;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _dropped;
    private readonly UpDownCounter<long> _streams;
    private readonly UpDownCounter<long> _polls;
    private readonly Counter<long> _verifications;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _bridgeRequests;
    private readonly Histogram<double> _publishDuration;
    private readonly Histogram<double> _dispatchLag;
    private readonly Histogram<double> _deliveryDuration;
    private readonly Histogram<int> _replayUpdates;
    private readonly Histogram<double> _replayDuration;
    private readonly Histogram<int> _appendBatch;
    private readonly Histogram<long> _feedLag;

    public HeraldMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _publishes = meter.CreateCounter<long>("herald.publishes", "{publish}", "Publish requests answered, by HTTP status (200 stored or acknowledged as a duplicate).");
        _dispatches = meter.CreateCounter<long>("herald.dispatches", "{update}", "Updates this node read from the store's feed and dispatched.");
        _deliveries = meter.CreateCounter<long>("herald.deliveries", "{delivery}", "Updates queued on subscriber streams (one per update and subscriber).");
        _dropped = meter.CreateCounter<long>("herald.subscribers.dropped", "{subscriber}", "Streams the hub ended, by reason: overflow (the client read too slowly), token_expired, shutdown.");
        _streams = meter.CreateUpDownCounter<long>("herald.streams.active", "{stream}", "Open SSE subscriber streams.");
        _polls = meter.CreateUpDownCounter<long>("herald.polls.active", "{poll}", "Long polls waiting for an answer.");
        _verifications = meter.CreateCounter<long>("herald.auth.signature_verifications", "{verification}", "JWT signatures verified (cache misses).");
        _cacheHits = meter.CreateCounter<long>("herald.auth.token_cache_hits", "{token}", "Tokens answered from the validated-token cache.");
        _refused = meter.CreateCounter<long>("herald.subscriptions.refused", "{subscription}", "Streams and polls refused with 503, by the limit that refused them.");
        _bridgeRequests = meter.CreateCounter<long>("herald.bridge.requests", "{request}", "Requests bridges made upstream, by bridged topic and outcome: published (the body changed), unchanged (304 or the same body), error.");
        _publishDuration = meter.CreateHistogram("herald.publish.duration", "s", "From the publish request to the update stored.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _dispatchLag = meter.CreateHistogram("herald.dispatch.lag", "s", "From an update stored to it queued on every matching subscriber of this node.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _deliveryDuration = meter.CreateHistogram("herald.delivery.duration", "s", $"From an update queued on a stream to it flushed to the socket; one delivery in {DeliverySampleRate}.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _replayUpdates = meter.CreateHistogram("herald.replay.updates", "{update}", "Updates one resume (stream or poll) sent from history.", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = ReplayBuckets });
        _appendBatch = meter.CreateHistogram("herald.store.append_batch", "{update}", "Publishes one SQLite commit held (group commit: one disk sync for all of them).", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        _feedLag = meter.CreateHistogram("herald.store.feed_lag", "{update}", "Updates stored in Redis that this node's live feed had not read yet, at each read.", advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = LagBuckets });
        _replayDuration = meter.CreateHistogram("herald.replay.duration", "s", "Time one resume spent reading and sending history.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
    }

    internal void Publish(int status, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("http.response.status_code", status);
        _publishes.Add(1, tag);
        if (status == 200)
        {
            _publishDuration.Record(elapsed.TotalSeconds);
        }
    }

    internal void Dispatched(int deliveries, TimeSpan lag)
    {
        _dispatches.Add(1);
        _deliveries.Add(deliveries);
        _dispatchLag.Record(lag.TotalSeconds);
    }

    internal void Dropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void StreamOpened() => _streams.Add(1);

    internal void StreamClosed() => _streams.Add(-1);

    internal void PollStarted() => _polls.Add(1);

    internal void PollEnded() => _polls.Add(-1);

    internal void SignatureVerified() => _verifications.Add(1);

    internal void TokenCacheHit() => _cacheHits.Add(1);

    /// <summary>One upstream request of the bridge of <paramref name="topic"/> (configured, so a bounded set of values).</summary>
    internal void BridgeRequest(string topic, string outcome) =>
        _bridgeRequests.Add(1, new KeyValuePair<string, object?>("bridge", topic), new KeyValuePair<string, object?>("outcome", outcome));

    internal void Refused(string limit) => _refused.Add(1, new KeyValuePair<string, object?>("limit", limit));

    internal void Delivery(TimeSpan queuedFor) => _deliveryDuration.Record(queuedFor.TotalSeconds);

    internal void Replayed(int updates, TimeSpan elapsed)
    {
        _replayUpdates.Record(updates);
        _replayDuration.Record(elapsed.TotalSeconds);
    }

    internal void AppendBatch(int updates) => _appendBatch.Record(updates);

    internal void FeedLag(long updates) => _feedLag.Record(Math.Max(0, updates));

    /// <summary>Drop reasons, as the <c>reason</c> tag says them.</summary>
    internal static class DropReason
    {
        public const string Overflow = "overflow";

        /// <summary>A write waited on the client longer than <see cref="Fanout.Subscriber.StalledWriteLimit"/>: it stopped reading.</summary>
        public const string Stalled = "stalled";
        public const string TokenExpired = "token_expired";
        public const string Shutdown = "shutdown";
    }
}
