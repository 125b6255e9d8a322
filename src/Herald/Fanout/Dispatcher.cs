using System.Diagnostics;
using Herald.Auth;
using Herald.Deltas;
using Herald.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Fanout;

/// <summary>
/// The node's single fan-out loop: takes each update from the store's feed, in store order, and queues its shared
/// frame on every matching, authorized subscriber. It never waits on a subscriber.
/// </summary>
internal sealed partial class Dispatcher : BackgroundService
{
    private readonly IHistoryStore _store;
    private readonly SubscriberIndex _index;
    private readonly Authorizer _authorizer;
    private readonly HeraldMetrics _metrics;
    private readonly ILogger<Dispatcher> _logger;
    private readonly RetainedDeltas _deltas;
    private readonly List<Subscriber> _candidates = [];
    private readonly WakeBatch _wakes = new();
    private readonly List<Subscriber> _sweep = [];

    private readonly TimeProvider _time;

    public Dispatcher(IHistoryStore store, SubscriberIndex index, Authorizer authorizer, HeraldMetrics metrics, TimeProvider time, ILogger<Dispatcher> logger, RetainedDeltas deltas)
    {
        _deltas = deltas;
        _time = time;
        _store = store;
        _index = index;
        _authorizer = authorizer;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Position of the last update dispatched; lets tests and health checks see the feed advance.</summary>
    public long DispatchedPosition { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var stored in _store.ReadFeedAsync(stoppingToken).ConfigureAwait(false))
            {
                Dispatch(stored);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal void Dispatch(StoredUpdate stored)
    {
        if (stored.Position <= DispatchedPosition && DispatchedPosition > 0)
        {
            ForgetReplayedPositions(stored.Position);
        }

        var update = stored.Update;

        // A span only when someone listens: no allocation on the fan-out path otherwise.
        using var activity = HeraldTracing.Source.HasListeners()
            ? HeraldTracing.Source.StartActivity("herald.dispatch", ActivityKind.Consumer, default(ActivityContext), links: update.PublishContext == default ? null : [new ActivityLink(update.PublishContext)])
            : null;
        var frame = stored.Frame;
        _index.CollectMatches(update.Topics, _candidates);
        _deltas.Begin(stored);
        var delivered = 0;
        foreach (var subscriber in _candidates)
        {
            if (update.Private && !_authorizer.CanReceivePrivate(subscriber.Claims, update.Topics))
            {
                continue;
            }

            // A delta subscriber may get the update as a patch against the value it has (shared by all who have it).
            var chosen = subscriber.Deltas is { } bases ? _deltas.FrameFor(bases) : frame;
            switch (subscriber.TryEnqueue(subscriber.ReportsMatches ? subscriber.WithMatches(chosen, update) : chosen, _wakes))
            {
                case EnqueueResult.Queued:
                    delivered++;
                    break;
                case EnqueueResult.Overflowed:
                    _metrics.Dropped(HeraldMetrics.DropReason.Overflow);
                    LogDropped(_logger, subscriber.CloseReason!);
                    break;
            }
        }

        _wakes.Send();
        _candidates.Clear();
        _deltas.End();
        // Lag against the store's clock (Redis: the server's), so on other nodes it includes their clock difference.
        _metrics.Dispatched(delivered, _time.GetUtcNow() - stored.StoredAt);
        activity?.SetTag("herald.store.position", stored.Position);
        activity?.SetTag("herald.deliveries", delivered);
        DispatchedPosition = stored.Position;
        LogDispatched(_logger, stored.Position, delivered);
    }

    /// <summary>
    /// The feed went back: the store's positions started over (an emptied or replaced Redis). What a stream replayed
    /// was counted in the old positions, so skipping live frames "already replayed" would skip new updates: forget it.
    /// </summary>
    private void ForgetReplayedPositions(long position)
    {
        _index.Snapshot(_sweep);
        foreach (var subscriber in _sweep)
        {
            subscriber.ReplayedUpTo = 0;
        }

        _deltas.Clear();

        LogPositionsStartedOver(_logger, DispatchedPosition, position, _sweep.Count);
        _sweep.Clear();
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "The feed went back from position {Dispatched} to {Position}: the history was replaced; {Count} streams now take every live update")]
    private static partial void LogPositionsStartedOver(ILogger logger, long dispatched, long position, int count);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Dispatched position {Position} to {Count} subscribers")]
    private static partial void LogDispatched(ILogger logger, long position, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disconnected a subscriber: {Reason}")]
    private static partial void LogDropped(ILogger logger, string reason);
}
