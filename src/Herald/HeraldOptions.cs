using Herald.Storage;

namespace Herald;

/// <summary>
/// Configuration of a Herald hub. Bound from the <c>Herald</c> configuration section,
/// <c>HERALD_</c>-prefixed environment variables and <c>herald serve</c> flags.
/// </summary>
public sealed class HeraldOptions
{
    /// <summary>The Mercure protocol's well-known hub path.</summary>
    public const string DefaultPath = "/.well-known/mercure";

    /// <summary>15 s: common proxies and load balancers cut streams idle for 60 s, so a quarter of that keeps every hop alive.</summary>
    public static readonly TimeSpan DefaultHeartbeat = TimeSpan.FromSeconds(15);

    /// <summary>1 MiB: updates are notifications, not file transfers; larger bodies are almost always a mistake.</summary>
    public const long DefaultMaxRequestBodySize = 1024 * 1024;

    /// <summary>1,000 selectors or topics per request, as Mercure: enough for real use, small enough to bound matching work.</summary>
    public const int DefaultMaxTopics = 1000;

    /// <summary>1,000 queued updates per subscriber: a client that far behind is better served by resuming with Last-Event-ID.</summary>
    public const int DefaultSubscriberQueueLength = 1000;

    /// <summary>4 MiB queued per subscriber: bounds the memory one stalled client can hold.</summary>
    public const long DefaultSubscriberQueueBytes = 4L * 1024 * 1024;

    /// <summary>30 s: tolerates ordinary clock drift between the token issuer and the hub.</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>5 s: long enough to flush every stream a final <c>retry:</c>, short enough for rolling deploys.</summary>
    public static readonly TimeSpan DefaultShutdownReconnectSpread = TimeSpan.FromSeconds(5);

    /// <summary>HMAC secret that signs both publisher and subscriber tokens, unless a role has its own key.</summary>
    public string? JwtKey { get; set; }

    /// <summary>HMAC secret for publisher tokens (overrides <see cref="JwtKey"/>).</summary>
    public string? PublisherKey { get; set; }

    /// <summary>HMAC secret for subscriber tokens (overrides <see cref="JwtKey"/>).</summary>
    public string? SubscriberKey { get; set; }

    /// <summary>JWT algorithms accepted; <c>none</c> never is.</summary>
    public string[] JwtAlgorithms { get; set; } = ["HS256", "HS384", "HS512"];

    /// <summary>Let subscribers without a token receive public updates.</summary>
    public bool Anonymous { get; set; }

    /// <summary>No stream stays silent longer than this; <see cref="TimeSpan.Zero"/> disables heartbeats.</summary>
    public TimeSpan Heartbeat { get; set; } = DefaultHeartbeat;

    /// <summary>
    /// Where history is kept: <c>memory</c> (the default of an embedding app: fast, lost on restart) or
    /// <c>sqlite:PATH</c> (durable; the default of <c>herald serve</c>).
    /// </summary>
    public string Store { get; set; } = HistoryStoreFactory.Memory;

    /// <summary>Most updates retained; unset uses the store's default (<see cref="HistoryLimits"/>).</summary>
    public int? HistoryMaxCount { get; set; }

    /// <summary>Oldest update retained; unset uses the store's default; zero keeps updates regardless of age.</summary>
    public TimeSpan? HistoryMaxAge { get; set; }

    /// <summary>Most bytes of serialized updates retained; unset uses the store's default.</summary>
    public long? HistoryMaxBytes { get; set; }

    public long MaxRequestBodySize { get; set; } = DefaultMaxRequestBodySize;

    /// <summary>Most topic selectors a subscriber may ask for, and most topics one update may carry.</summary>
    public int MaxTopics { get; set; } = DefaultMaxTopics;

    public int SubscriberQueueLength { get; set; } = DefaultSubscriberQueueLength;

    public long SubscriberQueueBytes { get; set; } = DefaultSubscriberQueueBytes;

    public TimeSpan ClockSkew { get; set; } = DefaultClockSkew;

    /// <summary>On shutdown every stream gets a <c>retry:</c> drawn from [1 s, this], so clients don't all reconnect at once.</summary>
    public TimeSpan ShutdownReconnectSpread { get; set; } = DefaultShutdownReconnectSpread;

    internal string? EffectivePublisherKey => string.IsNullOrEmpty(PublisherKey) ? JwtKey : PublisherKey;

    internal string? EffectiveSubscriberKey => string.IsNullOrEmpty(SubscriberKey) ? JwtKey : SubscriberKey;
}
