using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.Http;

internal static class HttpResponses
{
    /// <summary>A subscription or poll that arrives while the hub stops: come back shortly, elsewhere.</summary>
    public static readonly HeraldError ShuttingDown = HeraldError.Unavailable("the hub is shutting down; retry shortly");

    /// <summary>A newcomer over a connection limit: a jittered <c>Retry-After</c>, so a storm comes back spread out.</summary>
    public static HeraldError OverLimit(string refusal) => HeraldError.Unavailable(refusal, ConnectionLimiter.JitteredRetryAfter());

    /// <summary>
    /// Answers a refusal as one line of plain text with the status of its kind; 401, 403 and auth 400s carry an RFC 6750 Bearer challenge, 503s
    /// a <c>Retry-After</c>.
    /// </summary>
    public static Task WriteErrorAsync(HttpContext context, HeraldError error)
    {
        var response = context.Response;
        response.StatusCode = ErrorStatus.Of(error.Kind);
        response.ContentType = "text/plain; charset=utf-8";
        if (BearerChallenge.For(context, error) is { } challenge)
        {
            response.Headers.WWWAuthenticate = challenge;
        }

        if (error.Kind == ErrorKind.Unavailable)
        {
            response.Headers.RetryAfter = error.RetryAfterSeconds ?? HeraldError.DefaultRetryAfterSeconds;
        }

        return response.WriteAsync(error.Reason + "\n", context.RequestAborted);
    }
}
