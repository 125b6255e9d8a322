using Microsoft.AspNetCore.Http;

namespace Herald.Http;

/// <summary>
/// <c>GET /.well-known/mercure/ui</c>: the live dashboard and debug console, one embedded page (no CDN: the hub works
/// offline) that reads only the hub's own APIs with the token the user gives. Under the hub's path, so an app that
/// embeds Herald keeps its own <c>/ui</c>; served only with <see cref="HeraldOptions.Ui"/>.
/// </summary>
internal static class DashboardEndpoint
{
    /// <summary>The page is code only: every figure comes from <c>/stats</c> and the stats topic, which need a token.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(DashboardEndpoint).Assembly.GetManifestResourceStream("Herald.Http.Ui.dashboard.html")
            ?? throw new InvalidOperationException("the dashboard page is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static Task HandleAsync(HttpContext context, Microsoft.Extensions.Options.IOptions<HeraldOptions> options)
    {
        var response = context.Response;
        if (!options.Value.Ui)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        return response.Body.WriteAsync(Page.Value, context.RequestAborted).AsTask();
    }
}
