using Herald.Auth;
using Herald.Observability;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// <c>GET /.well-known/mercure/stats</c>: the health report as JSON. Under the hub's path, so it shares the hub's origin,
/// proxy route and token; readable with a token whose <c>mercure.subscribe</c> grants the stats topic
/// (<c>/.well-known/mercure/stats</c>, or <c>*</c>), never anonymously unless <see cref="HeraldOptions.PublicStats"/>.
/// </summary>
internal sealed class StatsEndpoint(StatsReport report, Authorizer authorizer, HeraldCors cors, IOptions<HeraldOptions> options)
{
    private static readonly string[] StatsTopics = [StatsReport.Topic];

    public async Task HandleAsync(HttpContext context)
    {
        cors.Apply(context);
        if (!options.Value.PublicStats)
        {
            var (claims, error) = await authorizer.AuthenticateSubscriberAsync(context.Request).ConfigureAwait(false);
            error ??= claims is not null && !authorizer.CanReceivePrivate(claims, StatsTopics)
                ? HeraldError.Forbidden($"the token does not grant the stats topic: add \"{StatsReport.Topic}\" to its mercure.subscribe")
                : null;
            if (error is not null)
            {
                await HttpResponses.WriteErrorAsync(context, error).ConfigureAwait(false);
                return;
            }
        }

        var body = await report.WriteJsonAsync(context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
