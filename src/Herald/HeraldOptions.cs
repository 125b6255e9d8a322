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

    /// <summary>
    /// 2,048: topics are IRIs, and URLs longer than about 2 KB already break in proxies and browsers; every template
    /// match costs up to the topic's length, so the bound bounds dispatch work.
    /// </summary>
    public const int DefaultMaxTopicLength = 2048;

    /// <summary>512: real templates (<c>https://example.com/users/{id}/books/{book}</c>) are a few dozen characters.</summary>
    public const int DefaultMaxTemplateLength = 512;

    /// <summary>8: real templates have one to three expressions; matching work grows with each one.</summary>
    public const int DefaultMaxTemplateExpressions = 8;

    /// <summary>16: a page subscribes to a few patterns; each template is tried on every update whose topic starts with its prefix.</summary>
    public const int DefaultMaxTemplatesPerSubscription = 16;

    /// <summary>
    /// 32 distinct templates per address: a browser's tabs share a handful, while one client minting thousands of
    /// distinct templates is the attack that made every delivery slow.
    /// </summary>
    public const int DefaultMaxTemplatesPerIp = 32;

    /// <summary>
    /// 10,000 distinct templates hub-wide: far more than the patterns of a real deployment (the selector cache's size),
    /// and a ceiling on what many addresses together can make every update try.
    /// </summary>
    public const int DefaultMaxTemplates = 10_000;

    /// <summary>100: a user's tabs and devices; one leaked token cannot hold thousands of streams.</summary>
    public const int DefaultMaxConnectionsPerSubject = 100;

    /// <summary>1,000 queued updates per subscriber: a client that far behind is better served by resuming with Last-Event-ID.</summary>
    public const int DefaultSubscriberQueueLength = 1000;

    /// <summary>4 MiB queued per subscriber: bounds the memory one stalled client can hold.</summary>
    public const long DefaultSubscriberQueueBytes = 4L * 1024 * 1024;

    /// <summary>30 s: tolerates ordinary clock drift between a token issuer whose clock runs ahead and the hub, on <c>nbf</c>.</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>5 s: long enough to flush every stream a final <c>retry:</c>, short enough for rolling deploys.</summary>
    public static readonly TimeSpan DefaultShutdownReconnectSpread = TimeSpan.FromSeconds(5);

    /// <summary>10,000 updates per replay: a client further behind gets the newest ones and <c>Last-Event-ID: earliest</c>, so one reconnect can't stream the whole history.</summary>
    public const int DefaultMaxReplay = 10_000;

    /// <summary>16 replays at once: replays read the store; more in parallel only queue on it while memory grows.</summary>
    public const int DefaultMaxConcurrentReplays = 16;

    /// <summary>Mercure's cookie name, so existing clients work unchanged.</summary>
    public const string DefaultCookieName = "mercureAuthorization";

    /// <summary>HMAC secret that signs both publisher and subscriber tokens, unless a role has its own key.</summary>
    public string? JwtKey { get; set; }

    /// <summary>HMAC secret for publisher tokens (overrides <see cref="JwtKey"/>).</summary>
    public string? PublisherKey { get; set; }

    /// <summary>HMAC secret for subscriber tokens (overrides <see cref="JwtKey"/>).</summary>
    public string? SubscriberKey { get; set; }

    /// <summary>More keys for both roles (rotation, PEM public keys), used like <see cref="JwtKey"/>.</summary>
    public List<HeraldKey> JwtKeys { get; set; } = [];

    /// <summary>Keys for publisher tokens; with <see cref="PublisherKey"/> they replace the shared keys for publishing.</summary>
    public List<HeraldKey> PublisherKeys { get; set; } = [];

    /// <summary>Keys for subscriber tokens; with <see cref="SubscriberKey"/> they replace the shared keys for subscribing.</summary>
    public List<HeraldKey> SubscriberKeys { get; set; } = [];

    /// <summary>Mercure 1.0 token issuers: their <c>at+jwt</c> access tokens are verified with their keys only (docs/security.md).</summary>
    public List<HeraldIssuer> Issuers { get; set; } = [];

    /// <summary>
    /// The hub's OAuth 2.0 resource identifier (e.g. <c>https://hub.example.com/.well-known/mercure</c>): a 1.0 access
    /// token's <c>aud</c> must contain it. Required when <see cref="Issuers"/> are configured.
    /// </summary>
    public string? Resource { get; set; }

    /// <summary>Refuse tokens without <c>exp</c> (Mercure 0.x accepts them, so it is opt-in).</summary>
    public bool RequireExp { get; set; }

    /// <summary>Cookie a browser's token is read from (EventSource cannot send headers).</summary>
    public string CookieName { get; set; } = DefaultCookieName;

    /// <summary>
    /// Origins (<c>https://app.example.com</c>) a cookie-authenticated publish may come from; <c>*</c> allows any
    /// origin that is present. A cookie-authenticated publish without Origin or Referer is refused (CSRF).
    /// </summary>
    public string[] PublishOrigins { get; set; } = [];

    /// <summary>
    /// Origins browsers may call the hub from (CORS, with credentials); <c>http://localhost:*</c> allows any port;
    /// <c>*</c> only on an <see cref="Anonymous"/> hub, and then without credentials.
    /// </summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>Most open subscriber streams; 0 is unlimited. Over it new subscribers get 503, open ones stay.</summary>
    public int MaxConnections { get; set; }

    /// <summary>Most open subscriber streams per client address; 0 is unlimited.</summary>
    public int MaxConnectionsPerIp { get; set; }

    /// <summary>Proxies (CIDR, e.g. <c>10.0.0.0/8</c>, or single addresses) whose <c>X-Forwarded-For</c> is believed.</summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>Most updates one <c>Last-Event-ID</c> replay sends; beyond it the newest are sent, with <c>Last-Event-ID: earliest</c>.</summary>
    public int MaxReplay { get; set; } = DefaultMaxReplay;

    /// <summary>Replays running at once; the others wait their turn (their live updates queue meanwhile).</summary>
    public int MaxConcurrentReplays { get; set; } = DefaultMaxConcurrentReplays;

    /// <summary>JWT algorithms the HMAC secrets without an explicit algorithm accept; <c>none</c> never is.</summary>
    public string[] JwtAlgorithms { get; set; } = ["HS256", "HS384", "HS512"];

    /// <summary>
    /// Gzip streams for subscribers that send <c>Accept-Encoding: gzip</c>; off by default. Each update is compressed
    /// once and the same bytes go to every compressed stream, flushed per event as uncompressed streams are.
    /// </summary>
    public bool Compression { get; set; }

    /// <summary>Serve the dashboard and debug console at <c>/.well-known/mercure/ui</c>; its data still need a token.</summary>
    public bool Ui { get; set; }

    /// <summary>
    /// Mercure's "Active Subscriptions": a private event on <c>/.well-known/mercure/subscriptions/{topic}/{subscriber}</c>
    /// whenever a stream's subscription opens or closes, and <c>GET /.well-known/mercure/subscriptions</c> listing the open
    /// ones (the cluster's, with Redis). Off by default, as in Mercure.
    /// </summary>
    public bool Subscriptions { get; set; }

    /// <summary>
    /// With Redis, how long a node's subscriptions outlive it: each node renews its lease three times per period, and
    /// once a node's lease lapses a survivor announces its subscriptions closed and drops them from the list.
    /// </summary>
    public TimeSpan SubscriptionsLease { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Let anyone read the stats report (<c>/.well-known/mercure/stats</c>); off: a token must grant the stats topic.</summary>
    public bool PublicStats { get; set; }

    /// <summary>
    /// Mercure dialects served, decided per request (docs/mercure-1.md): <see cref="HeraldProtocol.Legacy"/> (0.x),
    /// <see cref="HeraldProtocol.Both"/> or <see cref="HeraldProtocol.V1"/>; the latter two need <see cref="Resource"/>
    /// and an issuer. Unset: Legacy, or Both once <see cref="Issuers"/> are configured (<see cref="ServedProtocol"/>).
    /// </summary>
    public HeraldProtocol? Protocol { get; set; }

    /// <summary>The dialects actually served: <see cref="Protocol"/>, or its default.</summary>
    public HeraldProtocol ServedProtocol => Protocol ?? (Issuers.Count > 0 ? HeraldProtocol.Both : HeraldProtocol.Legacy);

    /// <summary>
    /// Longest a stream or long poll stays open whatever its token's <c>exp</c> (null: no limit): <c>exp</c> alone
    /// cannot revoke an open stream, so the subscriber reconnects and presents its token again (Mercure 1.0 SHOULD).
    /// </summary>
    public TimeSpan? MaxConnectionLifetime { get; set; }

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

    /// <summary>Longest topic an update may carry and longest selector a subscriber may ask for (characters).</summary>
    public int MaxTopicLength { get; set; } = DefaultMaxTopicLength;

    /// <summary>Most characters of one URI template selector; longer ones are refused with 400.</summary>
    public int MaxTemplateLength { get; set; } = DefaultMaxTemplateLength;

    /// <summary>Most <c>{…}</c> expressions in one URI template selector; more are refused with 400.</summary>
    public int MaxTemplateExpressions { get; set; } = DefaultMaxTemplateExpressions;

    /// <summary>Most URI template selectors in one subscription (exact selectors count only against <see cref="MaxTopics"/>).</summary>
    public int MaxTemplatesPerSubscription { get; set; } = DefaultMaxTemplatesPerSubscription;

    /// <summary>Most distinct URI templates the open subscriptions of one client address hold; 0 is unlimited.</summary>
    public int MaxTemplatesPerIp { get; set; } = DefaultMaxTemplatesPerIp;

    /// <summary>Most distinct URI templates all open subscriptions hold together; 0 is unlimited.</summary>
    public int MaxTemplates { get; set; } = DefaultMaxTemplates;

    /// <summary>Most open streams and polls per token subject (<c>sub</c>); 0 is unlimited. Tokens without <c>sub</c> are not counted.</summary>
    public int MaxConnectionsPerSubject { get; set; } = DefaultMaxConnectionsPerSubject;

    public int SubscriberQueueLength { get; set; } = DefaultSubscriberQueueLength;

    public long SubscriberQueueBytes { get; set; } = DefaultSubscriberQueueBytes;

    /// <summary>
    /// How far in the future a token's <c>nbf</c> may be and the token still be accepted (the issuer's clock runs ahead).
    /// Never applied to <c>exp</c>: a token is refused from its <c>exp</c> on, and a stream closes at it.
    /// </summary>
    public TimeSpan ClockSkew { get; set; } = DefaultClockSkew;

    /// <summary>On shutdown every stream gets a <c>retry:</c> drawn from [1 s, this], so clients don't all reconnect at once.</summary>
    public TimeSpan ShutdownReconnectSpread { get; set; } = DefaultShutdownReconnectSpread;

    /// <summary>
    /// Topic selectors (exact topics or URI templates) whose updates are retained without the publisher asking: each
    /// becomes the latest value of its topics, sent first to a subscriber that connects without a cursor.
    /// </summary>
    public string[] RetainedTopics { get; set; } = [];

    /// <summary>Most latest values one subscription starts with (the newest, in store order); more are cut, and the answer says so.</summary>
    public int MaxRetainedPerSubscription { get; set; } = DefaultMaxRetainedPerSubscription;

    /// <summary>1,000 latest values: a page's worth of documents; a template matching more asks for too much at once.</summary>
    public const int DefaultMaxRetainedPerSubscription = 1000;

    /// <summary>
    /// History keeps only the latest version of each retained topic: a retained update that a newer one of all its
    /// topics superseded is emptied in history (its position stays; replay passes over it), so a large bundle published
    /// every few seconds does not spend <see cref="HistoryMaxBytes"/>. Memory and SQLite stores.
    /// </summary>
    public bool HistoryKeepsLatestRetainedOnly { get; set; }

    /// <summary>Upstream URLs the hub polls while someone is subscribed, publishing each changed body as a retained update (see docs/retained.md).</summary>
    public List<Herald.Bridges.HeraldBridge> Bridges { get; set; } = [];

    /// <summary>The keys verifying one role's tokens: the role's own keys if it has any, else the shared ones.</summary>
    internal IEnumerable<HeraldKey> KeysFor(bool publisher)
    {
        var single = publisher ? PublisherKey : SubscriberKey;
        var list = publisher ? PublisherKeys : SubscriberKeys;
        if (string.IsNullOrEmpty(single) && list.Count == 0)
        {
            single = JwtKey;
            list = JwtKeys;
        }

        return string.IsNullOrEmpty(single) ? list : list.Prepend(new HeraldKey { Key = single });
    }
}
