using Herald.Auth;
using Herald.Fanout;
using Herald.Protocol;
using Microsoft.Extensions.Hosting;

namespace Herald.Observability;

/// <summary>
/// Sends the health report every <see cref="Interval"/> to the streams that subscribed to the stats topic by name and
/// whose token grants it, as an <c>event: herald.stats</c> with no <c>id:</c>: node-local and not stored, so it never
/// fills the history nor moves a client's resume point. A dashboard subscribes instead of polling.
/// </summary>
internal sealed class StatsBroadcaster(StatsReport report, HubStatistics statistics, SubscriberIndex index, Authorizer authorizer, TimeProvider time) : BackgroundService
{
    public const string EventType = "herald.stats";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private static readonly string[] StatsTopics = [StatsReport.Topic];

    private readonly List<Subscriber> _candidates = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await BroadcastAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task BroadcastAsync(CancellationToken cancellationToken)
    {
        statistics.RecordSample();

        // Only streams that named the topic (not "*" or a template), and only through the index's exact table: the
        // dispatcher's matching is single-threaded and this runs on its own timer.
        index.CollectExact(StatsReport.Topic, _candidates);
        _candidates.RemoveAll(s => !authorizer.CanReceivePrivate(s.Claims, StatsTopics));
        if (_candidates.Count == 0)
        {
            return;
        }

        var json = await report.WriteJsonAsync(cancellationToken).ConfigureAwait(false);
        var frame = SseFrame.Event(EventType, System.Text.Encoding.UTF8.GetString(json));
        foreach (var subscriber in _candidates)
        {
            subscriber.TryEnqueue(frame);
        }

        _candidates.Clear();
    }
}
