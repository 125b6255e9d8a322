using Microsoft.AspNetCore.Http;

namespace Herald.Auth;

/// <summary>Where a request's token was found. A cookie is sent by the browser on its own, so it needs CSRF checks.</summary>
internal enum TokenLocation
{
    None,
    Header,
    Query,
    Cookie,
}

/// <summary>Where a request's token comes from, in Mercure's order: header, query parameter, cookie.</summary>
internal static class TokenSource
{
    public const string CookieName = HeraldOptions.DefaultCookieName;
    public const string QueryParameter = "authorization";

    /// <summary>The raw token and where it was, (null, None) when none was sent, or an error for a malformed <c>Authorization</c> header.</summary>
    public static (string? Token, TokenLocation Location, string? Error) Read(HttpRequest request, string cookieName)
    {
        var header = request.Headers.Authorization;
        if (header.Count > 0)
        {
            var value = header.ToString();
            const string bearer = "Bearer ";
            if (!value.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) || value.Length == bearer.Length)
            {
                return (null, TokenLocation.None, "the Authorization header must be \"Bearer <token>\"");
            }

            return (value[bearer.Length..].Trim(), TokenLocation.Header, null);
        }

        if (request.Query.TryGetValue(QueryParameter, out var query) && !string.IsNullOrEmpty(query.ToString()))
        {
            return (query.ToString(), TokenLocation.Query, null);
        }

        if (request.Cookies.TryGetValue(cookieName, out var cookie) && !string.IsNullOrEmpty(cookie))
        {
            return (cookie, TokenLocation.Cookie, null);
        }

        return (null, TokenLocation.None, null);
    }
}
