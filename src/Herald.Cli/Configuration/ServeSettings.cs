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
    public const string RedisSection = "Redis";

    /// <summary><c>sqlite:herald-data/herald.db</c>, relative to the working directory: durable with no setup.</summary>
    public const string DefaultStore = HistoryStoreFactory.SqlitePrefix + HistoryStoreFactory.DefaultSqlitePath;

    private const string FilesSourceName = "appsettings.json/herald.json";
    private const string EnvironmentSourceName = "environment (HERALD_*)";

    private readonly IConfiguration _files;
    private readonly IConfiguration _environment;
    private readonly ServeFlags _flags;

    private ServeSettings(IConfiguration files, IConfiguration environment, ServeFlags flags, ListenAddress listen)
    {
        _files = files;
        _environment = environment;
        _flags = flags;
        Listen = listen;
    }

    public ListenAddress Listen { get; }

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
        return new ServeSettings(fileConfiguration, environment, flags, ListenAddress.Parse(listen));
    }

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

    private static void Bind(IConfiguration configuration, object options, string source)
    {
        try
        {
            configuration.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"invalid configuration in {source}: {e.Message}");
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
