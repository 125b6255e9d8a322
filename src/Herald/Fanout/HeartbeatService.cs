using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Herald.Fanout;

/// <summary>
/// One timer for all subscribers: each tick queues a heartbeat comment on streams silent for most of the heartbeat
/// interval. Driven by <see cref="TimeProvider"/>, so tests advance time. (Token expiry is not swept: each subscriber
/// closes itself at its token's <c>exp</c>, see <see cref="Subscriber"/>.)
/// </summary>
internal sealed class HeartbeatService : BackgroundService
{
    /// <summary>Ticks four times per heartbeat: a stream is then never silent longer than the interval.</summary>
    public const int TicksPerHeartbeat = 4;

    private readonly SubscriberIndex _index;
    private readonly TimeProvider _time;
    private readonly HeraldOptions _options;
    private readonly List<Subscriber> _sweep = [];

    public HeartbeatService(SubscriberIndex index, TimeProvider time, IOptions<HeraldOptions> options)
    {
        _index = index;
        _time = time;
        _options = options.Value;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var heartbeat = _options.Heartbeat;
        if (heartbeat <= TimeSpan.Zero)
        {
            return;
        }

        var tick = heartbeat / TicksPerHeartbeat;
        using var timer = new PeriodicTimer(tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Sweep(heartbeat - tick);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal void Sweep(TimeSpan silence)
    {
        _index.Snapshot(_sweep);
        foreach (var subscriber in _sweep)
        {
            subscriber.HeartbeatIfSilentFor(silence);
        }

        _sweep.Clear();
    }
}
