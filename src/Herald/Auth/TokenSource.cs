using Microsoft.AspNetCore.Http;

namespace Herald.Auth;

/// <summary>Where a request's token comes from, in Mercure's order: header, query parameter, cookie.</summary>
internal static class TokenSource
{
    public const string CookieName = "mercureAuthorization";
    public const string QueryParameter = "authorization";

    /// <summary>The raw token, null when none was sent, or an error for a malformed <c>Authorization</c> header.</summary>
    public static (string? Token, string? Error) Read(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count > 0)
        {
            var value = header.ToString();
            const string bearer = "Bearer ";
            if (!value.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) || value.Length == bearer.Length)
            {
                return (null, "the Authorization header must be \"Bearer <token>\"");
            }

            return (value[bearer.Length..].Trim(), null);
        }

        if (request.Query.TryGetValue(QueryParameter, out var query) && !string.IsNullOrEmpty(query.ToString()))
        {
            return (query.ToString(), null);
        }

        if (request.Cookies.TryGetValue(CookieName, out var cookie) && !string.IsNullOrEmpty(cookie))
        {
            return (cookie, null);
        }

        return (null, null);
    }
}
