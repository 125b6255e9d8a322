using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.Http;

internal static class HttpResponses
{
    /// <summary>5 s: the hub stops within a few seconds, and its replacement (or another node) is up by then.</summary>
    public const string ShutdownRetryAfterSeconds = "5";

    /// <summary>A subscription or poll that arrives while the hub stops: come back shortly, elsewhere.</summary>
    public static Task WriteShuttingDownAsync(HttpContext context)
    {
        context.Response.Headers.RetryAfter = ShutdownRetryAfterSeconds;
        return WriteErrorAsync(context, new HeraldError(StatusCodes.Status503ServiceUnavailable, "the hub is shutting down; retry shortly"));
    }

    /// <summary>A newcomer over a connection limit: 503 with a jittered <c>Retry-After</c>, so a storm comes back spread out.</summary>
    public static Task WriteOverLimitAsync(HttpContext context, string refusal)
    {
        context.Response.Headers.RetryAfter = ConnectionLimiter.JitteredRetryAfter();
        return WriteErrorAsync(context, new HeraldError(StatusCodes.Status503ServiceUnavailable, refusal));
    }

    /// <summary>Answers a refusal as one line of plain text; 401s carry the Bearer challenge.</summary>
    public static Task WriteErrorAsync(HttpContext context, HeraldError error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.ContentType = "text/plain; charset=utf-8";
        if (error.Status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer realm=\"herald\"";
        }

        return response.WriteAsync(error.Reason + "\n", context.RequestAborted);
    }
}
