using System.Threading.Channels;
using Herald.Auth;
using Herald.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Subscriptions;

/// <summary>
/// Announces every stream's subscriptions as they open and close (<see cref="HeraldOptions.Subscriptions"/>): a private
/// update on <c>/.well-known/mercure/subscriptions/{topic}/{subscriber}</c> each (1.0 subscriptions:
/// <c>…/subscriptions/{matchType}/{match}/{subscriber}</c>), recorded in the
/// <see cref="ISubscriptionLedger"/> the API lists. Admission only queues the change: a reconnect storm's 20,000 events
/// are appended in batches behind it, never on the path that lets a subscriber in.
/// </summary>
internal sealed partial class SubscriptionRegistry : BackgroundService
{
    /// <summary>Most changes appended together: one SQLite commit, one Redis pipeline.</summary>
    private const int BatchSize = 512;

    private readonly Channel<SubscriptionChange> _changes = Channel.CreateUnbounded<SubscriptionChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ISubscriptionLedger _ledger;
    private readonly HeraldOptions _options;
    /// <summary>
    /// How long a batch is retried while the store fails (doubling from 100 ms, at most 5 s apart) before its
    /// announcements are given up: a short outage delays them, a long one cannot grow the queue without end.
    /// </summary>
    private static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(60);

    private readonly ILogger<SubscriptionRegistry> _logger;
    private readonly TimeProvider _time;

    public SubscriptionRegistry(ISubscriptionLedger ledger, IOptions<HeraldOptions> options, TimeProvider time, ILogger<SubscriptionRegistry> logger)
    {
        _ledger = ledger;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public bool Enabled => _options.Subscriptions;

    public ValueTask<SubscriptionSnapshot> SnapshotAsync(CancellationToken cancellationToken) => _ledger.SnapshotAsync(cancellationToken);

    /// <summary>
    /// Announces a stream's subscriptions, one per distinct selector, under one new subscriber id; null when the
    /// feature is off. Pass the result to <see cref="Close"/> when the stream ends.
    /// </summary>
    public IReadOnlyList<ActiveSubscription>? Open(IReadOnlyList<TopicSelector> selectors, HeraldClaims claims)
    {
        if (!Enabled)
        {
            return null;
        }

        var subscriber = "urn:uuid:" + Guid.NewGuid();
        var opened = new List<ActiveSubscription>(selectors.Count);
        var seen = new HashSet<(string, Protocol.Matchers.MatcherType?)>();
        foreach (var selector in selectors)
        {
            // Deduplicated by type and pattern, as the draft allows: match=x and matchExact=x are one subscription.
            if (seen.Add((selector.Pattern, selector.MatcherType)))
            {
                var subscription = new ActiveSubscription(selector.Pattern, subscriber, claims.PayloadFor(selector.Pattern), MatchTypeName(selector.MatcherType));
                opened.Add(subscription);
                Queue(Change(subscription, active: true));
            }
        }

        return opened;
    }

    /// <summary>The draft's canonical name of a matcher type; null for a 0.x selector.</summary>
    private static string? MatchTypeName(Protocol.Matchers.MatcherType? type) => type switch
    {
        null => null,
        Protocol.Matchers.MatcherType.UrlPattern => "URLPattern",
        _ => "Exact",
    };

    public void Close(IReadOnlyList<ActiveSubscription>? opened)
    {
        if (opened is null)
        {
            return;
        }

        foreach (var subscription in opened)
        {
            Queue(Change(subscription, active: false));
        }
    }

    /// <summary>The change and its event: private, as the spec requires, with a fresh id.</summary>
    public static SubscriptionChange Change(ActiveSubscription subscription, bool active) => new(subscription, active, new Update
    {
        Topics = [subscription.Id],
        Data = SubscriptionJson.Event(subscription, active),
        Id = "urn:uuid:" + Guid.CreateVersion7(),
        Private = true,
    });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        var maintenance = _ledger.MaintenanceInterval is { } interval ? MaintainAsync(interval, stoppingToken) : Task.CompletedTask;
        try
        {
            await RecordLoopAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await maintenance.ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!Enabled)
        {
            return;
        }

        // The streams closed during shutdown queued their closes: record them while the store is still open, so other
        // nodes (and the next list) do not wait for this node's lease to lapse.
        var batch = new List<SubscriptionChange>();
        while (_changes.Reader.TryRead(out var change))
        {
            batch.Add(change);
        }

        if (batch.Count > 0)
        {
            try
            {
                await _ledger.RecordAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRecordFailed(_logger, batch.Count, e);
            }
        }
    }

    private void Queue(SubscriptionChange change) => _changes.Writer.TryWrite(change);

    private async Task RecordLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<SubscriptionChange>(BatchSize);
        while (await _changes.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            while (batch.Count < BatchSize && _changes.Reader.TryRead(out var change))
            {
                batch.Add(change);
            }

            await RecordWithRetriesAsync(batch, stoppingToken).ConfigureAwait(false);
            batch.Clear();
        }
    }

    /// <summary>
    /// Records a batch, retrying it while the store fails. A retry repeats nothing: each event keeps its id (a second
    /// append is a duplicate) and each list change is idempotent.
    /// </summary>
    private async Task RecordWithRetriesAsync(List<SubscriptionChange> batch, CancellationToken stoppingToken)
    {
        var started = _time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await _ledger.RecordAsync(batch, stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (_time.GetElapsedTime(started) >= RetryFor)
                {
                    LogRecordFailed(_logger, batch.Count, e);
                    return;
                }

                LogRecordRetrying(_logger, batch.Count, delay.TotalMilliseconds, e.Message);
                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task MaintainAsync(TimeSpan interval, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                try
                {
                    await _ledger.MaintainAsync(s => Change(s, active: false), stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogMaintenanceFailed(_logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Warning, Message = "Could not record {Count} subscription changes for a minute; their events are lost")]
    private static partial void LogRecordFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 62, Level = LogLevel.Debug, Message = "Could not record {Count} subscription changes yet, retrying in {DelayMs} ms: {Reason}")]
    private static partial void LogRecordRetrying(ILogger logger, int count, double delayMs, string reason);

    [LoggerMessage(EventId = 61, Level = LogLevel.Warning, Message = "Could not renew this node's subscriptions lease or sweep lapsed nodes")]
    private static partial void LogMaintenanceFailed(ILogger logger, Exception exception);
}
