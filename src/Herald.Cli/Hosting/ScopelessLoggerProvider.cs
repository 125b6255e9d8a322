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
[ProviderAlias("Console")]
internal sealed class ScopelessLoggerProvider(ConsoleLoggerProvider inner) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => inner.CreateLogger(categoryName);

    public void Dispose() => inner.Dispose();

    /// <summary>Registers the console provider (as <c>AddSimpleConsole</c> configured it) behind this wrapper.</summary>
    public static void Replace(IServiceCollection services)
    {
        var console = services.Single(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        services.Remove(console);
        services.AddSingleton<ConsoleLoggerProvider>();
        services.AddSingleton<ILoggerProvider>(static sp => new ScopelessLoggerProvider(sp.GetRequiredService<ConsoleLoggerProvider>()));
    }
}
