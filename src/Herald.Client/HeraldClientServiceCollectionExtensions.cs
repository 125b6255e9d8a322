using Herald.Client;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class HeraldClientServiceCollectionExtensions
{
    /// <summary>Registers <see cref="HeraldClient"/> as a typed client of <c>IHttpClientFactory</c>.</summary>
    public static IHttpClientBuilder AddHeraldClient(this IServiceCollection services, Action<HeraldClientOptions> configure)
    {
        services.Configure(configure);

        // Streams stay open indefinitely: the watchdog, not HttpClient.Timeout, decides when one is dead.
        var builder = services.AddHttpClient(nameof(HeraldClient), http => http.Timeout = Timeout.InfiniteTimeSpan);
        builder.AddTypedClient<HeraldClient>((http, sp) => new HeraldClient(http, sp.GetRequiredService<IOptions<HeraldClientOptions>>()));
        return builder;
    }
}
