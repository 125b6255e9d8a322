using System.Net;

namespace Herald.Cli.Bench;

/// <summary>What <c>herald bench</c> was asked to do. Every run is bounded: a message count and a time limit.</summary>
internal sealed record BenchOptions
{
    public const int DefaultSubscribers = 100;
    public const int DefaultMessages = 100;
    public const double DefaultRate = 10;

    /// <summary>A typical small notification (a JSON object with an id and a few fields).</summary>
    public const int DefaultPayload = 200;

    /// <summary>Room for the sequence number and timestamp every update carries.</summary>
    public const int MinPayload = 48;

    /// <summary>Kestrel's (and Linux's default) listen backlog is 512: faster bursts get SYNs dropped and 1 s+ retransmits.</summary>
    public const double DefaultConnectRate = 1000;

    /// <summary>Publishes in flight at once: a slow hub makes the actual rate drop (and shows it) instead of piling up requests.</summary>
    public const int MaxInFlightPublishes = 64;

    /// <summary>Every delivery is one bit per subscriber and message; this caps that at 256 MiB.</summary>
    public const long MaxTrackedDeliveries = 2L << 30;

    /// <summary>This many refused with none accepted is a wrong token or URL, not load: publishing stops.</summary>
    public const int FailedPublishesBeforeGivingUp = 10;

    /// <summary>After the last publish, wait this long for stragglers before counting them missing.</summary>
    public static readonly TimeSpan DefaultDrain = TimeSpan.FromSeconds(10);

    /// <summary>Connections not established by then are counted failed ("timeout").</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Timeline resolution for the charts on long runs; short runs sample faster so they still draw a curve.</summary>
    public static readonly TimeSpan MaxSampleInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Finer sampling costs more than it shows.</summary>
    public static readonly TimeSpan MinSampleInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>About 20 timeline points over the publish phase, within the bounds above.</summary>
    public TimeSpan SampleInterval => TimeSpan.FromSeconds(Math.Clamp(Messages / Rate / 20, MinSampleInterval.TotalSeconds, MaxSampleInterval.TotalSeconds));

    public required Uri Hub { get; init; }

    public int Subscribers { get; init; } = DefaultSubscribers;

    public int Topics { get; init; } = 1;

    public double Rate { get; init; } = DefaultRate;

    public int Messages { get; init; } = DefaultMessages;

    public int Payload { get; init; } = DefaultPayload;

    public string? PublishToken { get; init; }

    public string? SubscribeToken { get; init; }

    public double ConnectRate { get; init; } = DefaultConnectRate;

    public IReadOnlyList<IPAddress> SourceIps { get; init; } = [];

    public int? ServerPid { get; init; }

    /// <summary>Non-Mercure servers: publish by POSTing the payload to this URL (<c>{topic}</c> replaced).</summary>
    public string? PublishTemplate { get; init; }

    /// <summary>Non-Mercure servers: subscribe with GET at this URL (<c>{topic}</c> replaced).</summary>
    public string? SubscribeTemplate { get; init; }

    public TimeSpan Drain { get; init; } = DefaultDrain;

    public bool TemplateMode => PublishTemplate is not null;

    public string Topic(int index) => TemplateMode ? $"bench{index}" : $"https://herald.bench/topics/{index}";

    public Uri SubscribeUrl(int topic) => TemplateMode
        ? new Uri(SubscribeTemplate!.Replace("{topic}", Uri.EscapeDataString(Topic(topic)), StringComparison.Ordinal))
        : new Uri(Hub + (Hub.Query.Length > 0 ? "&" : "?") + "topic=" + Uri.EscapeDataString(Topic(topic)));

    public Uri PublishUrl(int topic) => TemplateMode
        ? new Uri(PublishTemplate!.Replace("{topic}", Uri.EscapeDataString(Topic(topic)), StringComparison.Ordinal))
        : Hub;

    /// <summary>The hard stop: connecting, publishing at the rate, draining, with slack for a slow start.</summary>
    public TimeSpan TimeLimit => ConnectTimeout + TimeSpan.FromSeconds(Subscribers / ConnectRate + Messages / Rate) + Drain + TimeSpan.FromSeconds(10);
}
