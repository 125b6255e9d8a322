using System.CommandLine;
using System.CommandLine.Parsing;
using Herald.Cli.Configuration;
using Herald.Cli.Hosting;
using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Cli.Commands;

/// <summary><c>herald serve</c>: a thin host over the Herald library.</summary>
internal static class ServeCommand
{
    private static readonly Option<string?> Listen = new("--listen")
    {
        Description = $"host:port or [ipv6]:port to listen on; 127.0.0.1:0 picks a free port [default: {ListenAddress.Default}, or 0.0.0.0:$PORT when PORT is set]",
    };

    private const string KeySyntax = "[ALG[/KID]:]VALUE; VALUE is an HMAC secret (>= 32 bytes) or, with RS*/PS*/ES*, a PEM public key inline or @file.pem; repeatable for rotation";

    private static readonly Option<string[]> JwtKey = new("--jwt-key") { Description = $"key for publisher and subscriber tokens: {KeySyntax}" };
    private static readonly Option<string[]> PublisherKey = new("--publisher-key") { Description = $"key for publisher tokens (replaces --jwt-key for publishing): {KeySyntax}" };
    private static readonly Option<string[]> SubscriberKey = new("--subscriber-key") { Description = $"key for subscriber tokens (replaces --jwt-key for subscribing): {KeySyntax}" };
    private static readonly Option<string?> Issuer = new("--issuer") { Description = "a Mercure 1.0 issuer: its at+jwt access tokens (iss ID) are verified with --issuer-key / --issuer-jwks only; needs --resource" };
    private static readonly Option<string[]> IssuerKey = new("--issuer-key") { Description = $"key of --issuer, for both roles: {KeySyntax}" };
    private static readonly Option<string?> IssuerJwks = new("--issuer-jwks") { Description = "JWK Set URL of --issuer (https; http only for localhost), fetched and cached" };
    private static readonly Option<string?> Resource = new("--resource") { Description = "the hub's resource identifier, which 1.0 access tokens must name in aud (e.g. https://hub.example.com/.well-known/mercure)" };
    private static readonly Option<bool> RequireExp = new("--require-exp") { Description = "refuse tokens without an exp claim" };
    private static readonly Option<string?> CookieName = new("--cookie-name") { Description = $"cookie a browser's token is read from [default: {HeraldOptions.DefaultCookieName}]" };
    private static readonly Option<string[]> PublishOrigins = new("--publish-origins") { Description = "origins allowed to publish with a cookie (repeatable or comma-separated; * for any present origin)" };
    private static readonly Option<string[]> CorsOrigins = new("--cors-origins") { Description = "origins browsers may call the hub from, with credentials (repeatable or comma-separated; http://localhost:* for any port; * only with --anonymous)" };
    private static readonly Option<int?> MaxConnections = new("--max-connections") { Description = "most open subscriber streams; over it 503 + Retry-After [default: 0, unlimited]" };
    private static readonly Option<int?> MaxConnectionsPerIp = new("--max-connections-per-ip") { Description = "most open subscriber streams per client address [default: 0, unlimited]" };
    private static readonly Option<string[]> TrustedProxies = new("--trusted-proxies") { Description = "proxies (CIDR or address, repeatable or comma-separated) whose X-Forwarded-For is believed" };
    private static readonly Option<int?> MaxReplay = new("--max-replay") { Description = $"most updates one Last-Event-ID replay sends; beyond it the newest, with Last-Event-ID: earliest [default: {HeraldOptions.DefaultMaxReplay}]" };
    private static readonly Option<bool> Dev = new("--dev") { Description = "development mode: random key, anonymous subscribers, CORS for localhost, in-memory history; prints the key and curl commands" };
    private static readonly Option<bool> Anonymous = new("--anonymous") { Description = "let subscribers without a token receive public updates" };
    private static readonly Option<TimeSpan?> Heartbeat = Durations.Option("--heartbeat", "longest silence on a stream before a heartbeat comment; 0 disables", allowZero: true);
    private static readonly Option<int?> HistoryMaxCount = new("--history-max-count") { Description = "most updates kept for Last-Event-ID replay" };
    private static readonly Option<TimeSpan?> HistoryMaxAge = Durations.Option("--history-max-age", "oldest update kept for replay; 0 keeps updates whatever their age", allowZero: true);
    private static readonly Option<long?> HistoryMaxBytes = new("--history-max-bytes") { Description = "most bytes of updates kept for replay" };
    private static readonly Option<long?> MaxRequestBodySize = new("--max-request-body-size") { Description = "largest publish body in bytes (larger gets 413)" };
    private static readonly Option<string?> Store = new("--store")
    {
        Description = $"where history is kept: memory, sqlite:PATH, or redis://[user:pass@]HOST[:PORT][/DB][?prefix=P] (rediss:// for TLS) to run several nodes as one hub [default: {ServeSettings.DefaultStore}]",
    };

    private static readonly Option<string?> TlsCert = new("--tls-cert") { Description = "PEM certificate (chain) for TLS: the hub then speaks HTTP/1.1 and HTTP/2; reloaded when the file changes" };
    private static readonly Option<string?> TlsKey = new("--tls-key") { Description = "PEM private key of --tls-cert" };
    private static readonly Option<bool> TlsSelfSigned = new("--tls-self-signed") { Description = "TLS with a certificate for localhost made at start (development and tests)" };
    private static readonly Option<string?> H2cListen = new("--h2c-listen") { Description = "host:port of an extra cleartext HTTP/2-only listener, for a proxy that speaks h2c" };
    private static readonly Option<bool> Ui = new("--ui") { Description = "serve the dashboard and debug console at /.well-known/mercure/ui (/ui redirects there); its data need a token [default: off, on with --dev]" };
    private static readonly Option<bool> Subscriptions = new("--subscriptions") { Description = "announce each subscription as a private update on /.well-known/mercure/subscriptions/{topic}/{subscriber} and list them at GET /.well-known/mercure/subscriptions (Mercure's Active Subscriptions; the cluster's with Redis) [default: off, on with --ui and --dev]" };
    private static readonly Option<bool> Compression = new("--compression") { Description = "gzip streams for subscribers that send Accept-Encoding: gzip; each update is compressed once for all [default: off]" };
    private static readonly Option<bool> Metrics = new("--metrics") { Description = "serve Prometheus metrics at /metrics on a listener of their own (--metrics-listen) [default: off]" };
    private static readonly Option<string?> MetricsListen = new("--metrics-listen") { Description = $"host:port of the metrics listener [default: {ServeSettings.DefaultMetricsListen}]" };
    private static readonly Option<HeraldBridgeFlag[]> Bridge = new("--bridge")
    {
        Description = "poll an upstream while someone is subscribed to its topic, publishing each changed body as the topic's retained update: TOPIC=URL[@INTERVAL] (repeatable; interval like 5s, default 5s; headers and more in the Bridges section of herald.json)",
        CustomParser = result =>
        {
            var bridges = new List<HeraldBridgeFlag>();
            foreach (var token in result.Tokens)
            {
                try
                {
                    bridges.Add(new HeraldBridgeFlag(Herald.Bridges.HeraldBridge.Parse(token.Value, static text =>
                        Duration.TryParse(text, out var value, out var error) ? value : throw new FormatException(error))));
                }
                catch (FormatException e)
                {
                    result.AddError($"--bridge: {e.Message}");
                }
            }

            return [.. bridges];
        },
    };

    private static readonly Option<HeraldProtocol?> Protocol = new("--protocol") { Description = "Mercure dialects served, per request: Legacy (0.x topic=), Both, or V1 (1.0 match=) [default: Legacy]" };

    private static readonly Option<TimeSpan?> MaxConnectionLifetime = Durations.Option("--max-connection-lifetime", "longest a stream stays open whatever its token's exp; the client reconnects [default: no limit]");

    private static readonly Option<string?> ConfigFile = new("--config") { Description = "extra JSON configuration file (section \"Herald\"), above herald.json and below environment variables" };

    public static Command Create()
    {
        var command = new Command("serve", "Run the hub.")
        {
            Listen, JwtKey, PublisherKey, SubscriberKey, Issuer, IssuerKey, IssuerJwks, Resource, RequireExp, Anonymous, CookieName, PublishOrigins, CorsOrigins,
            MaxConnections, MaxConnectionsPerIp, TrustedProxies, MaxReplay, Heartbeat,
            Store, HistoryMaxCount, HistoryMaxAge, HistoryMaxBytes, MaxRequestBodySize, TlsCert, TlsKey, TlsSelfSigned, H2cListen, Compression, Ui, Subscriptions, Metrics, MetricsListen, Bridge, ConfigFile, Dev,
            Protocol, MaxConnectionLifetime,
        };
        command.SetAction((parseResult, _) => RunAsync(ReadFlags(parseResult)));
        return command;
    }

    private static ServeFlags ReadFlags(ParseResult parseResult) => new()
    {
        Listen = parseResult.GetValue(Listen),
        JwtKeys = NullIfEmpty(parseResult.GetValue(JwtKey)),
        PublisherKeys = NullIfEmpty(parseResult.GetValue(PublisherKey)),
        SubscriberKeys = NullIfEmpty(parseResult.GetValue(SubscriberKey)),
        Issuer = parseResult.GetValue(Issuer),
        IssuerKeys = NullIfEmpty(parseResult.GetValue(IssuerKey)),
        IssuerJwks = parseResult.GetValue(IssuerJwks),
        Resource = parseResult.GetValue(Resource),
        RequireExp = parseResult.GetResult(RequireExp) is null or { Implicit: true } ? null : parseResult.GetValue(RequireExp),
        Anonymous = parseResult.GetResult(Anonymous) is null or { Implicit: true } ? null : parseResult.GetValue(Anonymous),
        CookieName = parseResult.GetValue(CookieName),
        PublishOrigins = SplitList(parseResult.GetValue(PublishOrigins)),
        CorsOrigins = SplitList(parseResult.GetValue(CorsOrigins)),
        MaxConnections = parseResult.GetValue(MaxConnections),
        MaxConnectionsPerIp = parseResult.GetValue(MaxConnectionsPerIp),
        TrustedProxies = SplitList(parseResult.GetValue(TrustedProxies)),
        MaxReplay = parseResult.GetValue(MaxReplay),
        Dev = parseResult.GetValue(Dev),
        Heartbeat = parseResult.GetValue(Heartbeat),
        HistoryMaxCount = parseResult.GetValue(HistoryMaxCount),
        HistoryMaxAge = parseResult.GetValue(HistoryMaxAge),
        HistoryMaxBytes = parseResult.GetValue(HistoryMaxBytes),
        MaxRequestBodySize = parseResult.GetValue(MaxRequestBodySize),
        ConfigFile = parseResult.GetValue(ConfigFile),
        Store = parseResult.GetValue(Store),
        Metrics = parseResult.GetResult(Metrics) is null or { Implicit: true } ? null : parseResult.GetValue(Metrics),
        MetricsListen = parseResult.GetValue(MetricsListen),
        Compression = parseResult.GetResult(Compression) is null or { Implicit: true } ? null : parseResult.GetValue(Compression),
        TlsCert = parseResult.GetValue(TlsCert),
        TlsKey = parseResult.GetValue(TlsKey),
        TlsSelfSigned = parseResult.GetResult(TlsSelfSigned) is null or { Implicit: true } ? null : parseResult.GetValue(TlsSelfSigned),
        H2cListen = parseResult.GetValue(H2cListen),
        Ui = parseResult.GetResult(Ui) is null or { Implicit: true } ? null : parseResult.GetValue(Ui),
        Subscriptions = parseResult.GetResult(Subscriptions) is null or { Implicit: true } ? null : parseResult.GetValue(Subscriptions),
        Bridges = parseResult.GetValue(Bridge) is { Length: > 0 } bridges ? bridges : null,
        Protocol = parseResult.GetValue(Protocol),
        MaxConnectionLifetime = parseResult.GetValue(MaxConnectionLifetime),
    };

    private static string[]? NullIfEmpty(string[]? values) => values is { Length: > 0 } ? values : null;

    /// <summary>Lists accept repeated flags, commas, or both.</summary>
    private static string[]? SplitList(string[]? values) => values is { Length: > 0 }
        ? values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray()
        : null;

    private static async Task<int> RunAsync(ServeFlags flags)
    {
        try
        {
            var settings = ServeSettings.Load(flags, Directory.GetCurrentDirectory());
            StartupTrace.Mark("settings");
            return await ServeHost.RunAsync(settings);
        }
        catch (UsageException e)
        {
            return Cli.Fail(e.Message);
        }
        catch (OptionsValidationException e)
        {
            return Cli.Fail("invalid configuration: " + string.Join("; ", e.Failures));
        }
        catch (HistoryStoreException e)
        {
            return Cli.Fail(e.Message, Cli.StartFailure);
        }
        catch (IOException e)
        {
            // Kestrel's bind failures (address in use, not available) arrive as IOException with a clear message.
            return Cli.Fail(e.Message);
        }
    }
}
