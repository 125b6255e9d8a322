using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Herald.Cli.Hosting;

/// <summary>
/// The console provider without <see cref="ISupportExternalScope"/>: with it, the logger factory keeps a scope stack,
/// and Kestrel opens a scope for every connection that the connection holds for its whole life (the scope, its
/// state, an execution context: ~200 bytes per idle stream). <c>herald serve</c> never prints scopes (single-line
/// format, scopes off), so its output is the same.
/// </summary>
/// <remarks>
/// The console provider is made when a logger first writes or is asked <c>IsEnabled</c>, not when the host resolves
/// the logger factory: it builds its options monitors and three formatters (generic types the native herald makes at
/// run time) and starts its queue thread, ~14% of the main thread's CPU at a native start, and a quiet start never
/// logs past the level filters.
/// </remarks>
[ProviderAlias("Console")]
internal sealed class ScopelessLoggerProvider(Lazy<ConsoleLoggerProvider> inner) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new DeferredLogger(inner, categoryName);

    public void Dispose()
    {
        if (inner.IsValueCreated)
        {
            inner.Value.Dispose();
        }
    }

    /// <summary>Registers the console provider (as <c>AddSimpleConsole</c> configured it) behind this wrapper.</summary>
    public static void Replace(IServiceCollection services)
    {
        var console = services.Single(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        services.Remove(console);
        services.AddSingleton<ConsoleLoggerProvider>();
        // Lazy<T>'s default mode: one provider however many threads log first.
        services.AddSingleton<ILoggerProvider>(static sp => new ScopelessLoggerProvider(new Lazy<ConsoleLoggerProvider>(sp.GetRequiredService<ConsoleLoggerProvider>)));
    }

    /// <summary>A console logger made on first use; the logger factory filters levels before asking it anything.</summary>
    private sealed class DeferredLogger(Lazy<ConsoleLoggerProvider> provider, string categoryName) : ILogger
    {
        // A race makes the same logger twice at most: the console provider keeps one per category.
        private ILogger? _logger;

        private ILogger Logger => _logger ??= provider.Value.CreateLogger(categoryName);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => Logger.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => Logger.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Logger.Log(logLevel, eventId, state, exception, formatter);
    }
}
