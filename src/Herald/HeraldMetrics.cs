using System.Diagnostics.Metrics;

namespace Herald;

/// <summary>
/// The hub's instruments, on the <c>Herald</c> meter: export them with OpenTelemetry
/// (<c>AddMeter(HeraldMetrics.MeterName)</c>) or watch them with <c>dotnet-counters</c>.
/// </summary>
public sealed class HeraldMetrics
{
    public const string MeterName = "Herald";

    private readonly Counter<long> _published;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _dropped;
    private readonly UpDownCounter<long> _subscribers;

    public HeraldMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _published = meter.CreateCounter<long>("herald.updates.published", "{update}", "Updates stored and queued for dispatch.");
        _delivered = meter.CreateCounter<long>("herald.updates.delivered", "{update}", "Updates queued on subscriber streams.");
        _dropped = meter.CreateCounter<long>("herald.subscribers.dropped", "{subscriber}", "Subscribers disconnected because their queue overflowed.");
        _subscribers = meter.CreateUpDownCounter<long>("herald.subscribers.active", "{subscriber}", "Open subscriber streams.");
    }

    internal void Published() => _published.Add(1);

    internal void Delivered(int count) => _delivered.Add(count);

    internal void Dropped() => _dropped.Add(1);

    internal void SubscriberOpened() => _subscribers.Add(1);

    internal void SubscriberClosed() => _subscribers.Add(-1);
}
