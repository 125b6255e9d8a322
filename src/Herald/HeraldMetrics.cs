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
    private readonly Counter<long> _verifications;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _refusedConnections;

    public HeraldMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _published = meter.CreateCounter<long>("herald.updates.published", "{update}", "Updates stored and queued for dispatch.");
        _delivered = meter.CreateCounter<long>("herald.updates.delivered", "{update}", "Updates queued on subscriber streams.");
        _dropped = meter.CreateCounter<long>("herald.subscribers.dropped", "{subscriber}", "Subscribers disconnected because their queue overflowed.");
        _subscribers = meter.CreateUpDownCounter<long>("herald.subscribers.active", "{subscriber}", "Open subscriber streams.");
        _verifications = meter.CreateCounter<long>("herald.auth.signature_verifications", "{verification}", "JWT signatures verified (cache misses).");
        _cacheHits = meter.CreateCounter<long>("herald.auth.token_cache_hits", "{token}", "Tokens answered from the validated-token cache.");
        _refusedConnections = meter.CreateCounter<long>("herald.subscribers.refused", "{subscriber}", "Subscribers refused with 503 by a connection limit.");
    }

    internal void Published() => _published.Add(1);

    internal void Delivered(int count) => _delivered.Add(count);

    internal void Dropped() => _dropped.Add(1);

    internal void SubscriberOpened() => _subscribers.Add(1);

    internal void SubscriberClosed() => _subscribers.Add(-1);

    internal void SignatureVerified() => _verifications.Add(1);

    internal void TokenCacheHit() => _cacheHits.Add(1);

    internal void ConnectionRefused() => _refusedConnections.Add(1);
}
