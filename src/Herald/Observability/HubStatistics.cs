using System.Diagnostics.Metrics;

namespace Herald.Observability;

/// <summary>
/// What the stats report says about the last minute, read from this hub's own <c>Herald</c> meter (a listener on the
/// instruments of <see cref="HeraldMetrics"/>), so the report and an exported metric can never disagree.
/// </summary>
internal sealed class HubStatistics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly TimeProvider _time;
    private long _streams;
    private long _polls;

    public HubStatistics(IMeterFactory meterFactory, TimeProvider time)
    {
        _time = time;
        StartedAt = time.GetUtcNow();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == HeraldMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) => ((HubStatistics)state!).OnMeasurement(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, state) => ((HubStatistics)state!).OnLatency(instrument.Name, value));
        _listener.Start();
    }

    public DateTimeOffset StartedAt { get; }

    public RateWindow Publishes { get; } = new();

    public RateWindow Deliveries { get; } = new();

    public RateWindow Drops { get; } = new();

    public RateWindow Refusals { get; } = new();

    public LatencySamples PublishLatency { get; } = new();

    public LatencySamples DispatchLag { get; } = new();

    public LatencySamples DeliveryLatency { get; } = new();

    /// <summary>The last <see cref="SampleCount"/> samples, oldest first, so a dashboard opened now shows the last minutes.</summary>
    public const int SampleCount = 60;

    private readonly Queue<Sample> _samples = new();

    public long Streams => Interlocked.Read(ref _streams);

    /// <summary>Takes a sample of the rates and latencies now (every stats interval).</summary>
    public void RecordSample()
    {
        var now = NowSeconds;
        var sample = new Sample(
            now,
            Publishes.Sum(now) / (double)RateWindow.Seconds,
            Deliveries.Sum(now) / (double)RateWindow.Seconds,
            Drops.Sum(now) / (double)RateWindow.Seconds,
            Refusals.Sum(now) / (double)RateWindow.Seconds,
            DeliveryLatency.PercentileMs(50),
            DeliveryLatency.PercentileMs(99),
            DispatchLag.PercentileMs(99),
            Streams,
            Polls);
        lock (_samples)
        {
            _samples.Enqueue(sample);
            while (_samples.Count > SampleCount)
            {
                _samples.Dequeue();
            }
        }
    }

    public Sample[] RecentSamples()
    {
        lock (_samples)
        {
            return [.. _samples];
        }
    }

    public long Polls => Interlocked.Read(ref _polls);

    public long NowSeconds => _time.GetUtcNow().ToUnixTimeSeconds();

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(string name, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        switch (name)
        {
            case "herald.publishes":
                Publishes.Add(NowSeconds, value);
                break;
            case "herald.deliveries":
                Deliveries.Add(NowSeconds, value);
                break;
            case "herald.subscribers.dropped" when IsSlowClient(tags):
                // Only slow clients (overflowed, stalled) degrade the hub: token expiry and shutdown end streams on purpose.
                Drops.Add(NowSeconds, value);
                break;
            case "herald.subscriptions.refused":
                Refusals.Add(NowSeconds, value);
                break;
            case "herald.streams.active":
                Interlocked.Add(ref _streams, value);
                break;
            case "herald.polls.active":
                Interlocked.Add(ref _polls, value);
                break;
        }
    }

    private static bool IsSlowClient(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "reason")
            {
                return Equals(tag.Value, HeraldMetrics.DropReason.Overflow) || Equals(tag.Value, HeraldMetrics.DropReason.Stalled);
            }
        }

        return false;
    }

    private void OnLatency(string name, double seconds)
    {
        switch (name)
        {
            case "herald.publish.duration":
                PublishLatency.Add(seconds);
                break;
            case "herald.dispatch.lag":
                DispatchLag.Add(seconds);
                break;
            case "herald.delivery.duration":
                DeliveryLatency.Add(seconds);
                break;
        }
    }

    /// <summary>One point of the charts: per-second rates averaged over the last minute, latencies, open connections.</summary>
    internal sealed record Sample(long At, double Publishes, double Deliveries, double Drops, double Refusals, double? DeliveryP50, double? DeliveryP99, double? DispatchLagP99, long Streams, long Polls);
}
