using Herald.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Storage;

/// <summary>Builds the store that <see cref="HeraldOptions.Store"/> names.</summary>
public static class HistoryStoreFactory
{
    public const string Memory = "memory";
    public const string SqlitePrefix = "sqlite:";

    /// <summary>The file <c>herald serve</c> uses when no store is named: relative to the working directory.</summary>
    public const string DefaultSqlitePath = "herald-data/herald.db";

    /// <summary>Null when the store setting is understood, else a message naming the accepted forms.</summary>
    public static string? Describe(string? store) => Describe(store, []);

    /// <summary>As <see cref="Describe(string?)"/>, also accepting the prefixes of registered store packages.</summary>
    public static string? Describe(string? store, IReadOnlyCollection<HistoryStoreScheme> schemes) => store switch
    {
        Memory => null,
        _ when store is not null && store.StartsWith(SqlitePrefix, StringComparison.Ordinal) && store.Length > SqlitePrefix.Length => null,
        _ when store is not null && schemes.Any(s => store.StartsWith(s.Prefix, StringComparison.OrdinalIgnoreCase)) => null,
        _ => $"Store \"{store}\" is not understood: use \"memory\", \"sqlite:PATH\"{string.Concat(schemes.Select(s => $" or \"{s.Form}\""))}",
    };

    internal static IHistoryStore Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<HeraldOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        if (options.Store.StartsWith(SqlitePrefix, StringComparison.Ordinal))
        {
            return new SqliteHistoryStore(
                options.Store[SqlitePrefix.Length..],
                HistoryLimits.From(options, HistoryLimits.DurableDefaults),
                time,
                services.GetRequiredService<ILogger<SqliteHistoryStore>>(),
                services.GetService<HeraldMetrics>());
        }

        return new MemoryHistoryStore(HistoryLimits.From(options, HistoryLimits.MemoryDefaults), time);
    }
}
