using System.Net;
using Herald.Cli.Configuration;
using Herald.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
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

    /// <summary>The host logs a failed start (a port in use…) with a stack trace; the caller reports it as one line instead.</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>Builds, starts, prints the bound address, waits for SIGTERM/Ctrl-C; returns the exit code.</summary>
    public static async Task<int> RunAsync(ServeSettings settings)
    {
        var starting = true;
        await using var app = Build(settings, () => starting);

        // Resolve eagerly: a bad value fails here as one line, before anything is bound or logged.
        var options = app.Services.GetRequiredService<IOptions<HeraldOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Herald.Cli");

        await app.StartAsync();
        starting = false;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        Console.Out.WriteLine("Herald listening on " + string.Join(" ", addresses));
        if (settings.Dev)
        {
            DevBanner.Write(Console.Out, new Uri(addresses.First()), options, settings.DevKey);
        }

        Console.Out.Flush();
        WarnAboutKeys(logger, options);

        await app.WaitForShutdownAsync();
        return Cli.Ok;
    }

    private static WebApplication Build(ServeSettings settings, Func<bool> starting)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = Directory.GetCurrentDirectory(),
        });

        // Only ServeSettings' sources count: ASP.NET's defaults (ASPNETCORE_URLS, a Kestrel section in appsettings.json…)
        // would otherwise add endpoints or settings behind the user's back.
        builder.Configuration.Sources.Clear();

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System", LogLevel.Warning);
        // An unready store logs its own outage once; the health-check service would log it again on every /readyz probe.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        builder.Logging.AddFilter(HostCategory, level => level >= LogLevel.Warning && !starting());
        foreach (var section in settings.LoggingSections)
        {
            builder.Logging.AddConfiguration(section);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var listen = settings.Listen;
            if (listen.IsLocalhost && listen.Port != 0)
            {
                kestrel.ListenLocalhost(listen.Port);
            }
            else if (listen.IsLocalhost)
            {
                kestrel.Listen(IPAddress.Loopback, 0);
            }
            else if (listen.Address!.Equals(IPAddress.IPv6Any))
            {
                kestrel.ListenAnyIP(listen.Port);
            }
            else
            {
                kestrel.Listen(listen.Address, listen.Port);
            }
        });

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

        var app = builder.Build();
        app.MapHerald();
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { Predicate = static _ => false });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = static check => check.Tags.Contains(HistoryStoreHealthCheck.ReadyTag) });
        app.MapGet("/", RootPage.Write);
        return app;
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
