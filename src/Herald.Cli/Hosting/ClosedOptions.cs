using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Cli.Hosting;

/// <summary>
/// Closed registrations of the options services that <c>herald serve</c> resolves while it starts. The framework
/// registers them as open generics (<c>IOptions&lt;&gt;</c> → <c>UnnamedOptionsManager&lt;&gt;</c>…), which the
/// container closes with <c>MakeGenericType</c> and then reads the constructors of by reflection: the native herald
/// has no such closed types compiled, so its type loader builds each one at run time, and that was the largest part
/// of a native start (~30% of its CPU, ~40% of its main thread's; bench/README.md). Here each type is named, so it is
/// compiled ahead of time and made by a factory, with no reflection. Same semantics: one factory per options type,
/// options built once per name and cached, change token sources and validators honoured.
/// </summary>
internal static class ClosedOptions
{
    /// <summary>Only public options types can be named; the rest (a few framework-internal ones) stay open generics.</summary>
    public static void Register(IServiceCollection services)
    {
        Add<HeraldOptions>(services);
        Add<KestrelServerOptions>(services);
        Add<SocketTransportOptions>(services);
        Add<RouteOptions>(services);
        Add<RouteHandlerOptions>(services);
        Add<CorsOptions>(services);
        Add<HostOptions>(services);
        Add<ConsoleLifetimeOptions>(services);
        Add<LoggerFilterOptions>(services);
        Add<HealthCheckServiceOptions>(services);
        Add<HealthCheckPublisherOptions>(services);
        Add<HealthCheckOptions>(services);
    }

    private static void Add<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(IServiceCollection services) where T : class
    {
        services.AddSingleton<IOptionsFactory<T>>(static sp => new OptionsFactory<T>(
            sp.GetServices<IConfigureOptions<T>>(), sp.GetServices<IPostConfigureOptions<T>>(), sp.GetServices<IValidateOptions<T>>()));
        services.AddSingleton<IOptionsMonitorCache<T>>(static _ => new OptionsCache<T>());
        // OptionsManager caches per name (thread-safe), so as a singleton it is what IOptions<T> is: built once.
        services.AddSingleton<IOptions<T>>(static sp => new OptionsManager<T>(sp.GetRequiredService<IOptionsFactory<T>>()));
        services.AddSingleton<IOptionsMonitor<T>>(static sp => new OptionsMonitor<T>(
            sp.GetRequiredService<IOptionsFactory<T>>(), sp.GetServices<IOptionsChangeTokenSource<T>>(), sp.GetRequiredService<IOptionsMonitorCache<T>>()));
    }
}
