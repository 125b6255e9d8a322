using Herald.Auth;
using Herald.Protocol;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Herald.Http;

/// <summary>
/// Cross-origin access for browsers, with ASP.NET Core's CORS service and the <see cref="PolicyName"/> policy that
/// <c>AddHerald</c> registers from <see cref="HeraldOptions.CorsOrigins"/>. Applied by the hub's own endpoints, so it
/// works whether or not the app calls <c>UseCors()</c>.
/// </summary>
internal sealed class HeraldCors
{
    /// <summary>The CORS policy's name; an app may reuse it for its own endpoints.</summary>
    public const string PolicyName = "Herald";

    /// <summary>1 hour: browsers cache the preflight answer, so a page's reconnects don't each cost an extra round trip.</summary>
    public static readonly TimeSpan PreflightMaxAge = TimeSpan.FromHours(1);

    private readonly ICorsService _cors;
    private readonly CorsPolicy? _policy;

    public HeraldCors(ICorsService cors, IOptions<CorsOptions> corsOptions)
    {
        _cors = cors;
        _policy = corsOptions.Value.GetPolicy(PolicyName);
    }

    /// <summary>
    /// The policy for the configured origins, or null when none are: explicit origins get credentials (cookies,
    /// Authorization); <c>*</c> (only valid on an anonymous hub) never does.
    /// </summary>
    public static CorsPolicy? BuildPolicy(HeraldOptions options)
    {
        var origins = new OriginList(options.CorsOrigins);
        if (origins.IsEmpty)
        {
            return null;
        }

        var builder = new CorsPolicyBuilder()
            .WithMethods(HttpMethods.Get, HttpMethods.Post)
            .WithHeaders(HeaderNames.Authorization, HeaderNames.CacheControl, "Last-Event-ID")
            .WithExposedHeaders("Last-Event-ID", SubscriptionGate.MercureLastEventIdHeader)
            .SetPreflightMaxAge(PreflightMaxAge);
        if (origins.AllowsAny)
        {
            builder.AllowAnyOrigin();
        }
        else
        {
            builder.SetIsOriginAllowed(origins.Allows).AllowCredentials();
        }

        return builder.Build();
    }

    /// <summary>Adds the CORS headers to a request from an allowed origin (refusals included, so the page can read why).</summary>
    public void Apply(HttpContext context)
    {
        if (_policy is not null && context.Request.Headers.ContainsKey(HeaderNames.Origin))
        {
            _cors.ApplyResult(_cors.EvaluatePolicy(context, _policy), context.Response);
        }
    }

    /// <summary>Answers a preflight <c>OPTIONS</c>: 204 with the allowed methods and headers, or 403 saying why not.</summary>
    public Task PreflightAsync(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin) || !context.Request.Headers.ContainsKey(HeaderNames.AccessControlRequestMethod))
        {
            context.Response.Headers.Allow = "GET, POST, OPTIONS";
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }

        if (_policy is null)
        {
            return HttpResponses.WriteErrorAsync(context, HeraldError.Forbidden("this hub allows no cross-origin browser access: list the page's origin in CorsOrigins (--cors-origins)"));
        }

        var result = _cors.EvaluatePolicy(context, _policy);
        if (!result.IsOriginAllowed)
        {
            return HttpResponses.WriteErrorAsync(context, HeraldError.Forbidden($"origin \"{Truncate(origin)}\" is not in the hub's CORS origins"));
        }

        _cors.ApplyResult(result, context.Response);
        if (context.Response.StatusCode == StatusCodes.Status200OK)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }

        return Task.CompletedTask;
    }

    private static string Truncate(string value) => ReasonText.Quote(value);
}
