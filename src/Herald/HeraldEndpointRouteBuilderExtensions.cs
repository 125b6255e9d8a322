using Herald;
using Herald.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

public static class HeraldEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the hub: <c>GET</c> subscribes, <c>POST</c> publishes, at <paramref name="pattern"/>; <c>GET {pattern}/poll</c>
    /// long-polls; <c>GET {pattern}/stats</c> answers the health report; <c>GET {pattern}/subscriptions…</c> lists subscriptions; <c>GET {pattern}/client.js</c> serves the JS client; <c>GET /.well-known/oauth-protected-resource{pattern}</c> answers the hub's protected resource metadata (RFC 9728).
    /// </summary>
    public static IEndpointConventionBuilder MapHerald(this IEndpointRouteBuilder endpoints, string pattern = HeraldOptions.DefaultPath)
    {
        var group = endpoints.MapGroup(pattern);
        group.WithMetadata(new HeraldHubPath(pattern));
        endpoints.MapGet(ProtectedResourceMetadata.WellKnown + pattern, (HttpContext context) => ProtectedResourceMetadata.HandleAsync(context, pattern))
            .WithDisplayName("Herald protected resource metadata");
        // A singleton, taken from the root provider: RequestServices would give every stream a DI scope it holds for its
        // whole life (~200 bytes per idle stream).
        var services = endpoints.ServiceProvider;
        group.MapGet("", (HttpContext context) => services.GetRequiredService<SubscribeEndpoint>().HandleAsync(context))
            .WithDisplayName("Herald subscribe");
        group.MapGet("/poll", static (HttpContext context) => context.RequestServices.GetRequiredService<PollEndpoint>().HandleAsync(context)).WithDisplayName("Herald long poll");
        group.MapGet("/client.js", ClientScriptEndpoint.CurrentAsync).WithDisplayName("Herald JS client");
        // Request delegates, not delegates with parameters to bind: those need generated or reflection-emitted code,
        // which the native (AOT) herald does not have.
        group.MapGet("/client-{version}.js", static (HttpContext context) =>
            ClientScriptEndpoint.VersionedAsync(context, (string)context.Request.RouteValues["version"]!)).WithDisplayName("Herald JS client, versioned");
        group.MapGet("/ui", static (HttpContext context) =>
            DashboardEndpoint.HandleAsync(context, context.RequestServices.GetRequiredService<IOptions<HeraldOptions>>())).WithDisplayName("Herald dashboard");
        group.MapGet("/stats", static (HttpContext context) => context.RequestServices.GetRequiredService<StatsEndpoint>().HandleAsync(context)).WithDisplayName("Herald stats");
        group.MapGet("/subscriptions/{**path}", (HttpContext context) =>
            context.RequestServices.GetRequiredService<SubscriptionsEndpoint>().HandleAsync(context, pattern)).WithDisplayName("Herald subscriptions");
        group.MapGet("/subscriptions", (HttpContext context) =>
            context.RequestServices.GetRequiredService<SubscriptionsEndpoint>().HandleAsync(context, pattern)).WithDisplayName("Herald subscriptions list");
        group.MapPost("", static (HttpContext context) =>
            context.RequestServices.GetRequiredService<PublishEndpoint>().HandleAsync(context))
            .WithDisplayName("Herald publish");
        group.MapMethods("", [HttpMethods.Options], static (HttpContext context) =>
            context.RequestServices.GetRequiredService<HeraldCors>().PreflightAsync(context))
            .WithDisplayName("Herald CORS preflight");
        group.MapMethods("/poll", [HttpMethods.Options], static (HttpContext context) =>
            context.RequestServices.GetRequiredService<HeraldCors>().PreflightAsync(context))
            .WithDisplayName("Herald long poll CORS preflight");
        return group;
    }
}
