using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// Puts <c>UseForwardedHeaders</c> first in the pipeline when <see cref="HeraldOptions.TrustedProxies"/> lists any:
/// only those peers' <c>X-Forwarded-For</c>/<c>X-Forwarded-Proto</c> are believed. ASP.NET Core's default trust of
/// loopback is cleared, so nothing is trusted that was not configured.
/// </summary>
internal sealed class ForwardedHeadersStartupFilter(IOptions<HeraldOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (options.Value.TrustedProxies.Length > 0)
        {
            var forwarded = new ForwardedHeadersOptions
            {
                ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,

                // Walk back through every trusted hop (a CDN in front of a load balancer), stopping at the first untrusted one.
                ForwardLimit = null,
            };
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            foreach (var proxy in options.Value.TrustedProxies)
            {
                if (ClientAddress.TryParseNetwork(proxy, out var network))
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
            }

            app.UseForwardedHeaders(forwarded);
        }

        next(app);
    };
}
