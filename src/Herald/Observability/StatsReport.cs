using System.Reflection;
using System.Text.Json;
using Herald.Fanout;
using Herald.Http;
using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Observability;

/// <summary>
/// The hub's health report: a status (<c>healthy</c>, <c>degraded</c>, <c>critical</c>) with its reasons, connections
/// against their limits, last-minute rates, latency percentiles, the store and the feed. One JSON document, served by
/// <c>GET /.well-known/mercure/stats</c> and sent every few seconds on the stats topic.
/// </summary>
internal sealed class StatsReport(
    HubStatistics statistics,
    ConnectionLimiter limiter,
    SubscriberIndex index,
    Dispatcher dispatcher,
    IHistoryStore store,
    IOptions<HeraldOptions> options,
    TimeProvider time,
    Bridges.BridgeService bridges)
{
    /// <summary>The reserved topic the report is sent on; no publisher can use it (it contains the hub's path).</summary>
    public const string Topic = HeraldOptions.DefaultPath + "/stats";

    /// <summary>1 s: a dispatch later than this is felt by users as a stalled page.</summary>
    public static readonly TimeSpan DegradedDispatchLag = TimeSpan.FromSeconds(1);

    /// <summary>10 selectors: enough to see where the load is, bounded whatever clients subscribe to.</summary>
    public const int TopSelectorCount = 10;

    /// <summary>90 %: a hub this close to its connection limit refuses the next reconnect storm.</summary>
    public const double NearLimitRatio = 0.9;

    private static readonly string Version =
        typeof(StatsReport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private readonly HeraldOptions _options = options.Value;

    public async Task<byte[]> WriteJsonAsync(CancellationToken cancellationToken)
    {
        var now = statistics.NowSeconds;
        var unavailable = store is IHealthCheckable checkable ? checkable.Unavailable : null;
        long? head = null;
        if (unavailable is null)
        {
            try
            {
                head = await store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HistoryStoreException e)
            {
                unavailable = e.Message;
            }
        }

        var drops = statistics.Drops.Sum(now);
        var lagP99 = statistics.DispatchLag.PercentileMs(99);
        var reasons = new List<string>();
        var status = "healthy";
        if (unavailable is not null)
        {
            status = "critical";
            reasons.Add("the history store is unavailable: " + unavailable);
        }

        void Degrade(string reason)
        {
            status = status == "critical" ? status : "degraded";
            reasons.Add(reason);
        }

        if (drops > 0)
        {
            Degrade($"{drops} streams dropped in the last minute for reading too slowly");
        }

        if (lagP99 is { } lag && lag > DegradedDispatchLag.TotalMilliseconds)
        {
            Degrade($"dispatch lag p99 is {lag:0} ms (over {DegradedDispatchLag.TotalMilliseconds:0} ms)");
        }

        if (_options.MaxConnections > 0 && limiter.Open >= NearLimitRatio * _options.MaxConnections)
        {
            Degrade($"{limiter.Open} of {_options.MaxConnections} connections in use");
        }

        var bridgeStatuses = bridges.Statuses.ToList();
        foreach (var bridge in bridgeStatuses)
        {
            if (bridge.ConsecutiveErrors >= Bridges.BridgeStatusReport.DegradedAfterErrors)
            {
                Degrade($"the bridge of {bridge.Topic} failed {bridge.ConsecutiveErrors} times in a row: {bridge.LastError}");
            }
        }

        using var buffer = new MemoryStream();
        // Relaxed escaping: read by dashboards and curl, never embedded in HTML; "1.0.0+abc" stays readable.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("status", status);
            json.WriteStartArray("reasons");
            reasons.ForEach(json.WriteStringValue);
            json.WriteEndArray();
            json.WriteString("version", Version);
            json.WriteString("node", Environment.MachineName);
            json.WriteNumber("uptimeSeconds", Math.Round((time.GetUtcNow() - statistics.StartedAt).TotalSeconds));
            json.WriteNumber("heartbeatSeconds", _options.Heartbeat.TotalSeconds);

            json.WriteStartObject("store");
            json.WriteString("kind", _options.Store.Split(':', 2)[0]);
            json.WriteString("unavailable", unavailable);
            WriteNumberOrNull(json, "head", head);
            json.WriteNumber("dispatched", dispatcher.DispatchedPosition);
            WriteNumberOrNull(json, "feedLag", head is { } h ? Math.Max(0, h - dispatcher.DispatchedPosition) : null);
            json.WriteEndObject();

            json.WriteStartObject("connections");
            json.WriteNumber("open", limiter.Open);
            json.WriteNumber("streams", statistics.Streams);
            json.WriteNumber("polls", statistics.Polls);
            json.WriteNumber("limit", _options.MaxConnections);
            json.WriteNumber("perIpLimit", _options.MaxConnectionsPerIp);
            json.WriteEndObject();

            json.WriteStartObject("lastMinute");
            json.WriteNumber("publishes", statistics.Publishes.Sum(now));
            json.WriteNumber("deliveries", statistics.Deliveries.Sum(now));
            json.WriteNumber("drops", drops);
            json.WriteNumber("refusals", statistics.Refusals.Sum(now));
            json.WriteEndObject();

            json.WriteStartObject("latencyMs");
            WriteNumberOrNull(json, "publishP50", statistics.PublishLatency.PercentileMs(50));
            WriteNumberOrNull(json, "publishP99", statistics.PublishLatency.PercentileMs(99));
            WriteNumberOrNull(json, "dispatchLagP50", statistics.DispatchLag.PercentileMs(50));
            WriteNumberOrNull(json, "dispatchLagP99", lagP99);
            WriteNumberOrNull(json, "deliveryP50", statistics.DeliveryLatency.PercentileMs(50));
            WriteNumberOrNull(json, "deliveryP99", statistics.DeliveryLatency.PercentileMs(99));
            json.WriteEndObject();

            // Readable only with a grant on the stats topic: selectors can name users, so they never go to metrics.
            json.WriteStartArray("topSelectors");
            foreach (var (selector, subscribers) in index.TopSelectors(TopSelectorCount))
            {
                json.WriteStartObject();
                json.WriteString("selector", selector);
                json.WriteNumber("subscribers", subscribers);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            // A few minutes of samples, so a chart opened now starts with history rather than empty.
            Bridges.BridgeStatusReport.Write(json, bridgeStatuses);

            json.WriteStartArray("recent");
            foreach (var sample in statistics.RecentSamples())
            {
                json.WriteStartObject();
                json.WriteNumber("at", sample.At);
                json.WriteNumber("publishesPerSecond", Math.Round(sample.Publishes, 3));
                json.WriteNumber("deliveriesPerSecond", Math.Round(sample.Deliveries, 3));
                json.WriteNumber("dropsPerSecond", Math.Round(sample.Drops, 3));
                json.WriteNumber("refusalsPerSecond", Math.Round(sample.Refusals, 3));
                WriteNumberOrNull(json, "deliveryP50Ms", sample.DeliveryP50);
                WriteNumberOrNull(json, "deliveryP99Ms", sample.DeliveryP99);
                WriteNumberOrNull(json, "dispatchLagP99Ms", sample.DispatchLagP99);
                json.WriteNumber("streams", sample.Streams);
                json.WriteNumber("polls", sample.Polls);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
