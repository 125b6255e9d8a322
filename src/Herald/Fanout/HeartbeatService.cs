using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Herald.Fanout;

/// <summary>
/// One timer for all subscribers: each tick queues a heartbeat comment on streams silent for most of the heartbeat
/// interval, and closes streams whose token has expired. Driven by <see cref="TimeProvider"/>, so tests advance time.
/// </summary>
internal sealed class HeartbeatService : BackgroundService
{
    /// <summary>Ticks four times per heartbeat: a stream is then never silent longer than the interval.</summary>
    public const int TicksPerHeartbeat = 4;

    /// <summary>How often expiry is checked when heartbeats are off.</summary>
    public static readonly TimeSpan ExpiryOnlyTick = TimeSpan.FromSeconds(1);

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
        var tick = heartbeat > TimeSpan.Zero ? heartbeat / TicksPerHeartbeat : ExpiryOnlyTick;
        using var timer = new PeriodicTimer(tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Sweep(heartbeat > TimeSpan.Zero ? heartbeat - tick : null);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal void Sweep(TimeSpan? silence)
    {
        var now = _time.GetUtcNow();
        _index.Snapshot(_sweep);
        foreach (var subscriber in _sweep)
        {
            if (subscriber.Claims.Expires is { } expires && now > expires + _options.ClockSkew)
            {
                subscriber.Close(null, "the subscriber's token expired");
                continue;
            }

            if (silence is { } s)
            {
                subscriber.HeartbeatIfSilentFor(s);
            }
        }

        _sweep.Clear();
    }
}
