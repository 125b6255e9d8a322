namespace Herald.Cli.Configuration;

/// <summary>One <c>--bridge</c> value, parsed.</summary>
internal sealed record HeraldBridgeFlag(Herald.Bridges.HeraldBridge Bridge);

/// <summary>What was given on the <c>herald serve</c> command line; null means "not given, let configuration decide".</summary>
internal sealed record ServeFlags
{
    public string? Listen { get; init; }

    /// <summary><c>--jwt-key</c> values, each <c>[ALG[/KID]:]VALUE</c> (see <see cref="HeraldKey.Parse"/>).</summary>
    public string[]? JwtKeys { get; init; }

    public string[]? PublisherKeys { get; init; }

    public string[]? SubscriberKeys { get; init; }

    /// <summary><c>--issuer ID</c>: one Mercure 1.0 issuer, added to (or replacing the same id in) the configured ones.</summary>
    public string? Issuer { get; init; }

    /// <summary><c>--issuer-key</c> values for <see cref="Issuer"/>, verifying both roles.</summary>
    public string[]? IssuerKeys { get; init; }

    /// <summary><c>--issuer-jwks URL</c>: the JWK Set of <see cref="Issuer"/>.</summary>
    public string? IssuerJwks { get; init; }

    /// <summary><c>--resource</c>: the hub's resource identifier, the <c>aud</c> of 1.0 access tokens.</summary>
    public string? Resource { get; init; }

    public bool? RequireExp { get; init; }

    public bool? Anonymous { get; init; }

    public string? CookieName { get; init; }

    public string[]? PublishOrigins { get; init; }

    public string[]? CorsOrigins { get; init; }

    public int? MaxConnections { get; init; }

    public int? MaxConnectionsPerIp { get; init; }

    public string[]? TrustedProxies { get; init; }

    public int? MaxReplay { get; init; }

    /// <summary><c>--protocol</c>: Legacy, Both or V1.</summary>
    public HeraldProtocol? Protocol { get; init; }

    /// <summary><c>--max-connection-lifetime</c>.</summary>
    public TimeSpan? MaxConnectionLifetime { get; init; }

    /// <summary><c>--dev</c>: defaults for a first try on a laptop, below any explicit flag.</summary>
    public bool Dev { get; init; }

    /// <summary>Localhost on any port, over IPv4, IPv6 and by name: where a developer's page is served from.</summary>
    public static readonly string[] DevOrigins = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

    private string? _devKey;

    /// <summary>
    /// The random key of <c>--dev</c>, drawn once so every options evaluation sees the same one. Drawn on first use:
    /// the random bytes load OpenSSL (~5 ms at start), which a hub that is not <c>--dev</c> may never need.
    /// </summary>
    public string DevKey => LazyInitializer.EnsureInitialized(ref _devKey, Base64UrlKey);

    public TimeSpan? Heartbeat { get; init; }

    public int? HistoryMaxCount { get; init; }

    public TimeSpan? HistoryMaxAge { get; init; }

    public long? HistoryMaxBytes { get; init; }

    public long? MaxRequestBodySize { get; init; }

    public string? ConfigFile { get; init; }

    public string? Store { get; init; }

    /// <summary><c>--tls-cert</c>, <c>--tls-key</c>: PEM files; the hub's listener speaks TLS with HTTP/1.1 and HTTP/2.</summary>
    public string? TlsCert { get; init; }

    public string? TlsKey { get; init; }

    /// <summary><c>--tls-self-signed</c>: a certificate for localhost made at start (development and tests).</summary>
    public bool? TlsSelfSigned { get; init; }

    /// <summary><c>--h2c-listen</c>: an extra cleartext HTTP/2-only listener, for a proxy that speaks h2c.</summary>
    public string? H2cListen { get; init; }

    /// <summary><c>--ui</c>: the dashboard at <c>/.well-known/mercure/ui</c> (always on with <c>--dev</c>).</summary>
    public bool? Ui { get; init; }

    /// <summary><c>--subscriptions</c>: Mercure's subscription events and API (on with <c>--ui</c> and <c>--dev</c>).</summary>
    public bool? Subscriptions { get; init; }

    /// <summary><c>--compression</c>: gzip streams for subscribers that ask.</summary>
    public bool? Compression { get; init; }

    /// <summary><c>--metrics</c>: serve Prometheus metrics on their own listener.</summary>
    public bool? Metrics { get; init; }

    /// <summary><c>--metrics-listen</c>: that listener's address.</summary>
    public string? MetricsListen { get; init; }

    /// <summary><c>--bridge TOPIC=URL@INTERVAL</c>: added to the configured bridges, replacing one of the same topic.</summary>
    public HeraldBridgeFlag[]? Bridges { get; init; }

    /// <summary>Flags win over every other source, so they are applied last.</summary>
    public void ApplyTo(HeraldOptions options)
    {
        if (Dev)
        {
            ApplyDevDefaults(options);
        }

        options.Store = Store ?? options.Store;
        if (JwtKeys is not null)
        {
            (options.JwtKey, options.JwtKeys) = Keys(JwtKeys);
        }

        if (PublisherKeys is not null)
        {
            (options.PublisherKey, options.PublisherKeys) = Keys(PublisherKeys);
        }

        if (SubscriberKeys is not null)
        {
            (options.SubscriberKey, options.SubscriberKeys) = Keys(SubscriberKeys);
        }

        if (Issuer is not null)
        {
            var keys = (IssuerKeys ?? []).Select(HeraldKey.Parse).ToList();
            options.Issuers.RemoveAll(i => i.Id == Issuer);
            options.Issuers.Add(new HeraldIssuer { Id = Issuer, PublisherKeys = keys, SubscriberKeys = [.. keys], JwksUri = IssuerJwks });
        }
        else if (IssuerKeys is not null || IssuerJwks is not null)
        {
            throw new UsageException("--issuer-key and --issuer-jwks need --issuer ID (the iss its tokens carry)");
        }

        options.Resource = Resource ?? options.Resource;
        options.RequireExp = RequireExp ?? options.RequireExp;
        options.Anonymous = Anonymous ?? options.Anonymous;
        options.CookieName = CookieName ?? options.CookieName;
        options.PublishOrigins = PublishOrigins ?? options.PublishOrigins;
        options.CorsOrigins = CorsOrigins ?? options.CorsOrigins;
        options.MaxConnections = MaxConnections ?? options.MaxConnections;
        options.MaxConnectionsPerIp = MaxConnectionsPerIp ?? options.MaxConnectionsPerIp;
        options.TrustedProxies = TrustedProxies ?? options.TrustedProxies;
        options.MaxReplay = MaxReplay ?? options.MaxReplay;
        options.Heartbeat = Heartbeat ?? options.Heartbeat;
        options.HistoryMaxCount = HistoryMaxCount ?? options.HistoryMaxCount;
        options.HistoryMaxAge = HistoryMaxAge ?? options.HistoryMaxAge;
        options.HistoryMaxBytes = HistoryMaxBytes ?? options.HistoryMaxBytes;
        options.MaxRequestBodySize = MaxRequestBodySize ?? options.MaxRequestBodySize;
        options.Compression = Compression ?? options.Compression;
        options.Ui = Ui ?? options.Ui;
        options.Protocol = Protocol ?? options.Protocol;
        options.MaxConnectionLifetime = MaxConnectionLifetime ?? options.MaxConnectionLifetime;
        foreach (var flag in Bridges ?? [])
        {
            options.Bridges.RemoveAll(b => b.Topic == flag.Bridge.Topic);
            options.Bridges.Add(flag.Bridge);
        }

        options.Subscriptions = Subscriptions ?? options.Subscriptions;

        // The dashboard lists subscriptions through the subscriptions API.
        options.Subscriptions |= options.Ui;
    }

    /// <summary>
    /// A flag replaces that role's keys from files and environment. A lone plain secret stays in the single-key
    /// property (as before); anything else becomes a key list.
    /// </summary>
    private static (string? Single, List<HeraldKey> List) Keys(string[] values)
    {
        var keys = values.Select(HeraldKey.Parse).ToList();
        return keys is [{ Algorithm: null, KeyId: null } only] ? (only.Key, []) : (null, keys);
    }

    private void ApplyDevDefaults(HeraldOptions options)
    {
        // Throwaway: a random key means no token outlives the process, so neither need the history.
        options.Store = Herald.Storage.HistoryStoreFactory.Memory;
        options.Anonymous = true;
        options.Ui = true;
        options.CorsOrigins = [.. options.CorsOrigins, .. DevOrigins];
        options.PublishOrigins = [.. options.PublishOrigins, .. DevOrigins];
        if (string.IsNullOrEmpty(options.JwtKey) && options.JwtKeys.Count == 0 && JwtKeys is null)
        {
            options.JwtKey = DevKey;
        }
    }

    private static string Base64UrlKey() =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
