using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.Http;

internal static class HttpResponses
{
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
