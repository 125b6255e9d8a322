using Microsoft.AspNetCore.Http;

namespace Herald.Auth;

/// <summary>Where a request's token was found. A cookie is sent by the browser on its own, so it needs CSRF checks.</summary>
internal enum TokenLocation
{
    None,
    Header,

    /// <summary>The <c>authorization</c> query parameter: legacy (0.x) tokens only.</summary>
    Query,

    /// <summary>The legacy cookie (<c>mercureAuthorization</c> by default): legacy tokens only.</summary>
    Cookie,

    /// <summary>The 1.0 cookie <c>__Secure-mercure_access_token</c>: 1.0 access tokens only.</summary>
    AccessCookie,
}

/// <summary>
/// Where a request's token comes from: the <c>Authorization</c> header, then the <c>authorization</c> query parameter,
/// then the 1.0 cookie, then the legacy cookie. Exactly one is read; which dialect of token each may carry is the
/// validator's rule (a 1.0 access token never from the URL or the legacy cookie).
/// </summary>
internal static class TokenSource
{
    public const string CookieName = HeraldOptions.DefaultCookieName;
    public const string QueryParameter = "authorization";

    /// <summary>The 1.0 cookie: <c>__Secure-</c> makes browsers accept it only with <c>Secure</c>, from an HTTPS origin.</summary>
    public const string AccessTokenCookie = "__Secure-mercure_access_token";

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

        if (Http.QueryParameters.Get(request, QueryParameter) is { Count: > 0 } query && !string.IsNullOrEmpty(query.ToString()))
        {
            return (query.ToString(), TokenLocation.Query, null);
        }

        // No Cookie header, no cookie feature: reading request.Cookies adds one to the request's features, which a
        // stream keeps for its whole life (~120 bytes per idle stream).
        if (request.Headers.Cookie.Count == 0)
        {
            return (null, TokenLocation.None, null);
        }

        if (request.Cookies.TryGetValue(AccessTokenCookie, out var access) && !string.IsNullOrEmpty(access))
        {
            return (access, TokenLocation.AccessCookie, null);
        }

        if (request.Cookies.TryGetValue(cookieName, out var cookie) && !string.IsNullOrEmpty(cookie))
        {
            return (cookie, TokenLocation.Cookie, null);
        }

        return (null, TokenLocation.None, null);
    }
}
