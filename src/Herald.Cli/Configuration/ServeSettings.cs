using Herald.Cli.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Herald.Storage;
using Microsoft.Extensions.Configuration;

namespace Herald.Cli.Configuration;

/// <summary>
/// The layered configuration of <c>herald serve</c>, lowest first: <c>appsettings.json</c>, <c>herald.json</c>,
/// <c>--config FILE</c> (all in the current directory, section <c>Herald</c>), <c>HERALD_*</c> environment variables,
/// then flags. Only these sources are read, so unrelated <c>ASPNETCORE_*</c> or <c>Kestrel</c> settings can't interfere.
/// </summary>
internal sealed class ServeSettings
{
    public const string SectionName = "Herald";
    public const string EnvironmentPrefix = "HERALD_";
    public const string ListenKey = "Listen";
    public const string MetricsKey = "Metrics";
    public const string MetricsListenKey = "MetricsListen";
    public const string TlsCertKey = "TlsCert";
    public const string TlsKeyKey = "TlsKey";
    public const string H2cListenKey = "H2cListen";

    /// <summary>Loopback and the port the Prometheus exporter registered: scraped from the same machine or a sidecar unless asked.</summary>
    public const string DefaultMetricsListen = "127.0.0.1:9464";
    public const string RedisSection = "Redis";

    /// <summary><c>sqlite:herald-data/herald.db</c>, relative to the working directory: durable with no setup.</summary>
    public const string DefaultStore = HistoryStoreFactory.SqlitePrefix + HistoryStoreFactory.DefaultSqlitePath;

    private const string FilesSourceName = "appsettings.json/herald.json";
    private const string EnvironmentSourceName = "environment (HERALD_*)";

    private readonly IConfiguration _files;
    private readonly IConfiguration _environment;
    private readonly ServeFlags _flags;

    private ServeSettings(IConfiguration files, IConfiguration environment, ServeFlags flags, ListenAddress listen, IReadOnlyList<Listener> listeners, TlsFiles? tls)
    {
        _files = files;
        _environment = environment;
        _flags = flags;
        Listen = listen;
        Listeners = listeners;
        Tls = tls;
    }

    /// <summary>The certificate of the TLS listeners, when there are any.</summary>
    public TlsFiles? Tls { get; }

    public ListenAddress Listen { get; }

    /// <summary>Every address to listen on, the hub's first; metrics get their own, so a public hub never exposes them by accident.</summary>
    public IReadOnlyList<Listener> Listeners { get; }

    public bool MetricsEnabled => Listeners.Any(l => l.Purpose == ListenerPurpose.Metrics);

    /// <summary><c>--dev</c>: the host prints ready-to-paste commands once listening.</summary>
    public bool Dev => _flags.Dev;

    /// <summary>The random key <c>--dev</c> uses unless a key was configured.</summary>
    public string DevKey => _flags.DevKey;

    /// <summary>The <c>Logging</c> sections of the files and environment, for log-level overrides.</summary>
    public IEnumerable<IConfiguration> LoggingSections => [_files.GetSection("Logging"), _environment.GetSection("Logging")];

    public static ServeSettings Load(ServeFlags flags, string directory)
    {
        // Each file is read and checked alone, so a mistake names its file; then they stack in precedence order.
        var files = new ConfigurationBuilder();
        foreach (var (name, path, optional) in FilesToRead(flags, directory))
        {
            if (LoadFile(name, path, optional) is { } file)
            {
                SettingsSchema.Serve.Check(file, SectionName, key => $"{name}: {ConfigurationPath.Combine(SectionName, key)}", unknownKeys: true);
                files.AddConfiguration(file);
            }
        }

        // Every file value was checked above, in its own file; this pass only rewrites the durations that won.
        var fileConfiguration = WithDurations(files.Build(), SectionName, key => key);
        var environment = WithDurations(
            new ConfigurationBuilder().AddEnvironmentVariables(EnvironmentPrefix).Build(),
            null,
            key => EnvironmentPrefix + key.Replace(ConfigurationPath.KeyDelimiter, "__", StringComparison.Ordinal));
        var listen = flags.Listen
            ?? environment[ListenKey]
            ?? fileConfiguration.GetSection(SectionName)[ListenKey]
            ?? (Environment.GetEnvironmentVariable("PORT") is { Length: > 0 } port ? "0.0.0.0:" + port : null)
            ?? ListenAddress.Default;
        var metricsOn = flags.Metrics
            ?? ParseBool(environment[MetricsKey], EnvironmentPrefix + MetricsKey.ToUpperInvariant())
            ?? ParseBool(fileConfiguration.GetSection(SectionName)[MetricsKey], ConfigurationPath.Combine(SectionName, MetricsKey))
            ?? false;
        var metricsListen = flags.MetricsListen
            ?? environment[MetricsListenKey]
            ?? fileConfiguration.GetSection(SectionName)[MetricsListenKey];
        if (metricsListen is not null && !metricsOn)
        {
            throw new UsageException("--metrics-listen (MetricsListen) needs --metrics (Metrics: true): metrics are off by default");
        }

        var metrics = metricsOn ? ParseListen("--metrics-listen", metricsListen ?? DefaultMetricsListen) : null;
        var hub = ListenAddress.Parse(listen);
        if (metrics is not null && metrics.Port != 0 && metrics.Port == hub.Port)
        {
            throw new UsageException($"--metrics-listen must use another port than --listen ({hub.Port}): metrics have a listener of their own");
        }

        string? Setting(string? flag, string key) => flag ?? environment[key] ?? fileConfiguration.GetSection(SectionName)[key];
        var tls = TlsFiles.From(Setting(flags.TlsCert, TlsCertKey), Setting(flags.TlsKey, TlsKeyKey), flags.TlsSelfSigned ?? false, directory);
        var h2c = Setting(flags.H2cListen, H2cListenKey) is { } h2cText ? ParseListen("--h2c-listen", h2cText) : null;
        if (h2c is not null && h2c.Port != 0 && (h2c.Port == hub.Port || h2c.Port == metrics?.Port))
        {
            throw new UsageException($"--h2c-listen must use a port of its own ({h2c.Port} is taken by another listener)");
        }

        // The hub's listener: HTTP/1.1 and HTTP/2 by ALPN over TLS; HTTP/1.1 in clear text, where Kestrel cannot offer
        // both on one port (h2c has a listener of its own).
        var listeners = new List<Listener>
        {
            new(hub, tls is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2, ListenerPurpose.Hub, Tls: tls is not null),
        };
        if (h2c is not null)
        {
            listeners.Add(new Listener(h2c, HttpProtocols.Http2, ListenerPurpose.Hub));
        }

        if (metrics is not null)
        {
            listeners.Add(new Listener(metrics, HttpProtocols.Http1, ListenerPurpose.Metrics));
        }

        return new ServeSettings(fileConfiguration, environment, flags, hub, listeners, tls);
    }

    private static ListenAddress ParseListen(string flag, string value)
    {
        try
        {
            return ListenAddress.Parse(value);
        }
        catch (UsageException e)
        {
            throw new UsageException($"{flag}: {e.Message}");
        }
    }

    private static bool? ParseBool(string? value, string name) => value switch
    {
        null => null,
        _ when bool.TryParse(value, out var parsed) => parsed,
        _ => throw new UsageException($"{name}: \"{value}\" is not true or false"),
    };

    /// <summary>Lowest precedence first; <c>--config</c> must exist, the others may not.</summary>
    private static IEnumerable<(string Name, string Path, bool Optional)> FilesToRead(ServeFlags flags, string directory)
    {
        yield return ("appsettings.json", Path.Combine(directory, "appsettings.json"), true);
        yield return ("herald.json", Path.Combine(directory, "herald.json"), true);
        if (flags.ConfigFile is { } configFile)
        {
            var path = Path.GetFullPath(configFile, directory);
            if (!File.Exists(path))
            {
                throw new UsageException($"--config: file not found: {path}");
            }

            yield return (configFile, path, false);
        }
    }

    private static IConfigurationRoot? LoadFile(string name, string path, bool optional)
    {
        if (optional && !File.Exists(path))
        {
            return null;
        }

        try
        {
            return new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            var cause = Innermost(e);
            throw new UsageException(cause is FormatException or System.Text.Json.JsonException
                ? $"{name} is not valid JSON: {cause.Message}"
                : $"cannot read {name}: {cause.Message}");
        }
    }

    /// <summary>The configuration with its durations checked and rewritten so the binder reads <c>5s</c> as flags do.</summary>
    private static IConfigurationRoot WithDurations(IConfigurationRoot configuration, string? section, Func<string, string> describe) =>
        new ConfigurationBuilder()
            .AddConfiguration(configuration)
            .AddInMemoryCollection(SettingsSchema.Serve.Check(configuration, section, describe, unknownKeys: false))
            .Build();

    /// <summary>Applies every layer in precedence order; a value that doesn't convert names its source.</summary>
    public void ApplyTo(HeraldOptions options)
    {
        // The one default that differs from an embedding app's: a hub run on its own keeps history across restarts.
        options.Store = DefaultStore;
        Bind(_files.GetSection(SectionName), options, FilesSourceName);
        Bind(_environment, options, EnvironmentSourceName);
        _flags.ApplyTo(options);
    }

    /// <summary>
    /// The Redis client settings (section <c>Herald:Redis</c>, or <c>HERALD_REDIS__COMMANDTIMEOUT</c>…): files, then
    /// environment. No flags: they are tuning, rarely changed.
    /// </summary>
    public void ApplyTo(Herald.Redis.RedisStoreOptions options)
    {
        Bind(_files.GetSection(SectionName).GetSection(RedisSection), options, FilesSourceName);
        Bind(_environment.GetSection(RedisSection), options, EnvironmentSourceName);
    }

    // One overload per options type: the configuration binder's source generator (the native build has no
    // reflection-based binder) needs each call's type statically.
    private static void Bind(IConfiguration configuration, HeraldOptions options, string source) =>
        Bind(() => configuration.Bind(options), source);

    private static void Bind(IConfiguration configuration, Herald.Redis.RedisStoreOptions options, string source) =>
        Bind(() => configuration.Bind(options), source);

    private static void Bind(Action bind, string source)
    {
        try
        {
            bind();
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"invalid configuration in {source}: {e.Message}");
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
