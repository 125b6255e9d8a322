using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Herald.Cli.Bench;

/// <summary>A bench run's figures: written as JSON, read back by <c>bench compare</c>, embedded in the HTML report.</summary>
internal sealed class BenchResult
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, TypeInfoResolver = CliJson.Default };

    private static JsonTypeInfo<BenchResult> TypeInfo => (JsonTypeInfo<BenchResult>)Json.GetTypeInfo(typeof(BenchResult));

    public string Hub { get; set; } = "";

    public string Mode { get; set; } = "mercure";

    public DateTimeOffset StartedAt { get; set; }

    public bool Interrupted { get; set; }

    /// <summary>Why the run stopped before publishing or draining: nothing could be measured. Null for a complete run.</summary>
    public string? StoppedEarly { get; set; }

    public BenchSettings Settings { get; set; } = new();

    public MachineInfo Machine { get; set; } = new();

    public ConnectionFigures Connections { get; set; } = new();

    public PublishFigures Publishes { get; set; } = new();

    public DeliveryFigures Deliveries { get; set; } = new();

    public LatencyFigures Latency { get; set; } = new();

    public ResourceFigures Generator { get; set; } = new();

    public ResourceFigures? Server { get; set; }

    public PhaseFigures Phases { get; set; } = new();

    public List<TimelineSample> Timeline { get; set; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, TypeInfo);

    public static BenchResult Read(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), TypeInfo) ?? throw new JsonException($"{path} is empty");
}

internal sealed class BenchSettings
{
    public int Subscribers { get; set; }

    public int Topics { get; set; }

    public double Rate { get; set; }

    public int Messages { get; set; }

    public int PayloadBytes { get; set; }

    public double ConnectRate { get; set; }

    public int SourceIps { get; set; }
}

internal sealed class MachineInfo
{
    public int GeneratorCores { get; set; }

    public string LoadAverage { get; set; } = "";

    public string Runtime { get; set; } = "";
}

internal sealed class ConnectionFigures
{
    public int Attempted { get; set; }

    public int Established { get; set; }

    public int Failed { get; set; }

    public Dictionary<string, int> FailedByReason { get; set; } = [];

    /// <summary>Established, then ended before the run did.</summary>
    public int Dropped { get; set; }

    public Dictionary<string, int> DroppedByReason { get; set; } = [];
}

internal sealed class PublishFigures
{
    public int Attempted { get; set; }

    public int Accepted { get; set; }

    public int Failed { get; set; }

    public Dictionary<string, int> FailedByReason { get; set; } = [];

    /// <summary>Accepted publishes per second over the publish phase: below the asked rate when the hub (or we) could not keep up.</summary>
    public double ActualRate { get; set; }
}

internal sealed class DeliveryFigures
{
    /// <summary>Accepted publishes × established subscribers of their topic.</summary>
    public long Expected { get; set; }

    /// <summary>Distinct (subscriber, update) pairs received.</summary>
    public long Delivered { get; set; }

    public long Missing { get; set; }

    public long Duplicated { get; set; }

    /// <summary>Received updates whose publish we did not see accepted (its answer failed or timed out).</summary>
    public long Unexpected { get; set; }

    public double PerSecond { get; set; }
}

internal sealed class LatencyFigures
{
    public long Count { get; set; }

    public double MeanMs { get; set; }

    public double P50Ms { get; set; }

    public double P90Ms { get; set; }

    public double P99Ms { get; set; }

    public double P999Ms { get; set; }

    public double MaxMs { get; set; }

    /// <summary>The percentile curve, for the chart.</summary>
    public List<PercentilePoint> Distribution { get; set; } = [];
}

internal sealed record PercentilePoint(double Percentile, double Ms);

internal sealed class ResourceFigures
{
    public int? Pid { get; set; }

    /// <summary>Average over connecting, publishing and draining, in % of one core.</summary>
    public double CpuAveragePercent { get; set; }

    public double CpuPeakPercent { get; set; }

    public int Cores { get; set; }

    /// <summary>Generator only: it used ≥ 90 % of its cores, so the figures may measure it rather than the hub.</summary>
    public bool Saturated { get; set; }

    public double? RssBaselineMiB { get; set; }

    public double? RssAfterConnectMiB { get; set; }

    public double? RssPeakMiB { get; set; }

    public double? RssPerConnectionKiB { get; set; }
}

internal sealed class PhaseFigures
{
    public double ConnectSeconds { get; set; }

    public double PublishSeconds { get; set; }

    public double DrainSeconds { get; set; }
}

internal sealed record TimelineSample(
    double T,
    int Open,
    int Established,
    int Failed,
    long Published,
    long Delivered,
    double DeliveriesPerSecond,
    double? P50Ms,
    double? P99Ms,
    double? MaxMs,
    double GeneratorCpu,
    double? ServerCpu,
    double? ServerRssMiB);
