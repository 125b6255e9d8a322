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

    /// <summary>The <c>Logging</c> sections of the files and environment, for log-level overrides.</summary>
    public IEnumerable<IConfiguration> LoggingSections => [_files.GetSection("Logging"), _environment.GetSection("Logging")];

    public static ServeSettings Load(ServeFlags flags, string directory)
    {
        var files = new ConfigurationBuilder()
            .SetBasePath(directory)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddJsonFile("herald.json", optional: true, reloadOnChange: false);
        if (flags.ConfigFile is { } configFile)
        {
            var path = Path.GetFullPath(configFile, directory);
            if (!File.Exists(path))
            {
                throw new UsageException($"--config: file not found: {path}");
            }

            files.AddJsonFile(path, optional: false, reloadOnChange: false);
        }

        IConfiguration fileConfiguration;
        try
        {
            fileConfiguration = files.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new UsageException($"cannot read configuration file: {Innermost(e).Message}");
        }

        var environment = new ConfigurationBuilder().AddEnvironmentVariables(EnvironmentPrefix).Build();
        var listen = flags.Listen
            ?? environment[ListenKey]
            ?? fileConfiguration.GetSection(SectionName)[ListenKey]
            ?? (Environment.GetEnvironmentVariable("PORT") is { Length: > 0 } port ? "0.0.0.0:" + port : null)
            ?? ListenAddress.Default;
        return new ServeSettings(fileConfiguration, environment, flags, ListenAddress.Parse(listen));
    }

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
