using System.Net;
using Herald.Cli.Configuration;
using Herald.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Cli.Hosting;

/// <summary>Builds and runs the web host for <c>herald serve</c>.</summary>
internal static partial class ServeHost
{
    /// <summary>5 s: the library ends every stream with a <c>retry:</c> at once, so this only bounds stragglers.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Liveness: 200 while the process serves HTTP, whatever the store's state (restarting would not fix Redis).</summary>
    public const string HealthPath = "/healthz";

    /// <summary>Readiness: 200 only when the history store is reachable; load balancers route new clients by it.</summary>
    public const string ReadyPath = "/readyz";

    /// <summary>1,000 concurrent HTTP/2 streams per connection: every tab of a browser shares one connection per origin.</summary>
    public const int MaxHttp2StreamsPerConnection = 1000;

    /// <summary>Prometheus' conventional scrape path, on the metrics listener only.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The host logs a failed start (a port in use…) with a stack trace; the caller reports it as one line instead.</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>Builds, starts, prints the bound address, waits for SIGTERM/Ctrl-C; returns the exit code.</summary>
    public static async Task<int> RunAsync(ServeSettings settings)
    {
        var starting = true;
        var bound = new List<(Listener Listener, ListenOptions Options)>();
        await using var app = Build(settings, () => starting, bound);

        // Resolve eagerly: a bad value fails here as one line, before anything is bound or logged.
        var options = app.Services.GetRequiredService<IOptions<HeraldOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Herald.Cli");
        StartupTrace.Mark("options");

        await app.StartAsync();
        starting = false;
        StartupTrace.Mark("started");
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var metrics = bound.Where(b => b.Listener.Purpose == ListenerPurpose.Metrics).Select(b => b.Options.IPEndPoint).ToList();

        // Kestrel lists bound addresses in the order of the listeners, the hub's first.
        Console.Out.WriteLine("Herald listening on " + string.Join(" ", addresses.Take(addresses.Count - metrics.Count)));
        foreach (var endpoint in metrics)
        {
            Console.Out.WriteLine($"Herald metrics on http://{endpoint}{MetricsPath}");
        }

        if (settings.Dev)
        {
            DevBanner.Write(Console.Out, new Uri(addresses.First()), options, settings.DevKey);
        }

        Console.Out.Flush();
        StartupTrace.Mark("announced");
        WarnAboutKeys(logger, options);

        await app.WaitForShutdownAsync();
        return Cli.Ok;
    }

    private static WebApplication Build(ServeSettings settings, Func<bool> starting, List<(Listener Listener, ListenOptions Options)> bound)
    {
        // The empty builder, and only what the hub uses added to it: Kestrel, routing, console logging. Only
        // ServeSettings' sources count, so the slim builder's configuration (ASPNETCORE_URLS, a Kestrel section in
        // appsettings.json…, cleared here before) is not read at all, nor is a watcher set on the working directory
        // for it; and every service not registered is one the native herald does not build a generic type for at start.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.WebHost.UseKestrelCore();
        if (settings.Tls is not null)
        {
            // ListenOptions.UseHttps needs Kestrel's HTTPS services, which UseKestrelCore leaves out.
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.Services.AddRoutingCore();
        StartupTrace.Mark("builder created");

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        ScopelessLoggerProvider.Replace(builder.Services);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System", LogLevel.Warning);
        // An unready store logs its own outage once; the health-check service would log it again on every /readyz probe.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        builder.Logging.AddFilter(HostCategory, level => level >= LogLevel.Warning && !starting());
        // Hosting's request logger only logs requests (Information, Debug), but while enabled at any level it gives every
        // request an Activity and a log scope, which a stream holds for its whole life (~400 bytes each).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        foreach (var section in settings.LoggingSections)
        {
            builder.Logging.AddConfiguration(section);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        // Made once the host's logging exists (below); handshakes only start after that.
        CertificateSource? certificates = null;
        // A flush sends on the flushing thread instead of handing the socket to Kestrel's I/O queue: one thread-pool hop
        // less per write (~10 % less CPU per delivery, bench/README.md). "Unsafe" because request
        // code then runs on the socket engine's thread, so nothing in it may block: Herald's request path does not (the
        // memory store answers from memory, SQLite reads move to the thread pool, Redis is asynchronous).
        builder.WebHost.UseSockets(static sockets => sockets.UnsafePreferInlineScheduling = true);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // Streams are long-lived: a page with many tabs or subscriptions would hit Kestrel's default of 100 streams
            // per HTTP/2 connection. Pings keep idle connections alive through proxies, beside the SSE heartbeat.
            kestrel.Limits.Http2.MaxStreamsPerConnection = MaxHttp2StreamsPerConnection;
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            foreach (var listener in settings.Listeners)
            {
                Listen(kestrel, listener.Address, options =>
                {
                    options.Protocols = listener.Protocols;
                    if (listener.Tls)
                    {
                        options.UseHttps(https => https.ServerCertificateSelector = (_, _) => certificates!.Current);
                    }

                    // A metrics connection carries its listener's purpose, so the pipeline answers only what it is for. A
                    // hub connection carries nothing (no purpose is the hub's): an Items dictionary on every stream would
                    // cost each one ~200 bytes.
                    if (listener.Purpose != ListenerPurpose.Hub)
                    {
                        object purpose = listener.Purpose;
                        options.Use(next => connection =>
                        {
                            connection.Items[Listener.PurposeItem] = purpose;
                            return next(connection);
                        });
                    }

                    bound.Add((listener, options));
                });
            }
        });

        // Traces go out by OTLP when the standard variable names a collector; off otherwise. Read here: the host's
        // configuration holds only Herald's own sources.
        if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } otlp)
        {
            var protocol = Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL") == "http/protobuf"
                ? OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf
                : OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;
            if (!Uri.TryCreate(otlp, UriKind.Absolute, out var endpoint))
            {
                throw new UsageException($"OTEL_EXPORTER_OTLP_ENDPOINT: \"{otlp}\" is not an absolute URL (e.g. http://127.0.0.1:4317)");
            }

            // Over HTTP the variable names the collector's base URL; the traces path is appended, as the spec says.
            if (protocol == OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf && !endpoint.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal))
            {
                endpoint = new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/v1/traces");
            }

            builder.Services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? "herald"))
                .WithTracing(tracing => tracing
                    .AddSource(HeraldTracing.SourceName, "Microsoft.AspNetCore")
                    .AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (endpoint, protocol)));
        }

        if (settings.MetricsEnabled)
        {
            // Herald's instruments, ASP.NET Core's and the runtime's (all built into .NET as meters).
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(HeraldMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime")
                .AddPrometheusExporter());
        }

        // The store URL is known only once every configuration layer is applied; the Redis store is registered only when
        // named, and the core library never references it.
        var configured = new HeraldOptions();
        settings.ApplyTo(configured);
        if (Herald.Redis.RedisStoreUrl.IsRedis(configured.Store))
        {
            builder.Services.AddHeraldRedis(settings.ApplyTo);
        }
        else
        {
            // Only so a store that is not understood is answered with every form the CLI takes, redis:// included.
            builder.Services.AddSingleton(new HistoryStoreScheme(Herald.Redis.RedisStoreUrl.Scheme, RedisServiceCollectionExtensions.StoreForm));
            builder.Services.AddSingleton(new HistoryStoreScheme(Herald.Redis.RedisStoreUrl.TlsScheme, Herald.Redis.RedisStoreUrl.TlsScheme + "…"));
        }

        builder.Services.AddHerald(settings.ApplyTo);
        ClosedOptions.Register(builder.Services);
        StartupTrace.Mark("builder configured");

        var app = builder.Build();
        StartupTrace.Mark("built");
        if (StartupTrace.Enabled)
        {
            app.Use(StartupTrace.MarkFirstRequest);
        }
        if (settings.Tls is { } tls)
        {
            certificates = new CertificateSource(tls, TimeProvider.System, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Herald.Cli.Tls"));
        }

        if (settings.MetricsEnabled)
        {
            // The metrics listener answers /metrics and nothing else; the hub's listeners never answer /metrics.
            app.Use((context, next) => PurposeOf(context) == ListenerPurpose.Metrics && context.Request.Path != MetricsPath
                ? Results.NotFound().ExecuteAsync(context)
                : next(context));
            app.UseOpenTelemetryPrometheusScrapingEndpoint(context => PurposeOf(context) == ListenerPurpose.Metrics && context.Request.Path == MetricsPath);
        }

        app.MapHerald();
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { Predicate = static _ => false });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = static check => check.Tags.Contains(HistoryStoreHealthCheck.ReadyTag) });
        app.MapGet("/", RootPage.Write);

        // The dashboard lives under the hub's path (an embedding app keeps its own /ui); the short URL leads there.
        // A request delegate: one with parameters to bind needs code the native (AOT) herald does not have.
        app.MapGet("/ui", static (HttpContext context) => (context.RequestServices.GetRequiredService<IOptions<HeraldOptions>>().Value.Ui
            ? Results.Redirect(HeraldOptions.DefaultPath + "/ui")
            : Results.NotFound()).ExecuteAsync(context));
        StartupTrace.Mark("mapped");
        return app;
    }

    private static ListenerPurpose PurposeOf(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(Listener.PurposeItem, out var purpose) == true && purpose is ListenerPurpose p
            ? p
            : ListenerPurpose.Hub;

    private static void Listen(KestrelServerOptions kestrel, ListenAddress listen, Action<ListenOptions> configure)
    {
        if (listen.IsLocalhost && listen.Port != 0)
        {
            kestrel.ListenLocalhost(listen.Port, configure);
        }
        else if (listen.IsLocalhost)
        {
            kestrel.Listen(IPAddress.Loopback, 0, configure);
        }
        else if (listen.Address!.Equals(IPAddress.IPv6Any))
        {
            kestrel.ListenAnyIP(listen.Port, configure);
        }
        else
        {
            kestrel.Listen(listen.Address, listen.Port, configure);
        }
    }

    private static void WarnAboutKeys(ILogger logger, HeraldOptions options)
    {
        var shared = !string.IsNullOrEmpty(options.JwtKey) || options.JwtKeys.Count > 0;
        var canPublish = shared || !string.IsNullOrEmpty(options.PublisherKey) || options.PublisherKeys.Count > 0;
        var canSubscribe = options.Anonymous || shared || !string.IsNullOrEmpty(options.SubscriberKey) || options.SubscriberKeys.Count > 0;
        if (!canPublish && !canSubscribe)
        {
            LogNoKeys(logger);
        }
        else if (!canPublish)
        {
            LogNoPublisherKey(logger);
        }
        else if (!canSubscribe)
        {
            LogNoSubscriberKey(logger);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "No JWT key configured and not --anonymous: nobody can subscribe or publish. Set --jwt-key (or HERALD_JWTKEY).")]
    private static partial void LogNoKeys(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "No publisher key configured: nobody can publish. Set --jwt-key or --publisher-key.")]
    private static partial void LogNoPublisherKey(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "No subscriber key configured and not --anonymous: nobody can subscribe. Set --jwt-key, --subscriber-key or --anonymous.")]
    private static partial void LogNoSubscriberKey(ILogger logger);
}
