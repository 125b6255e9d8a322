using System.Text;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.Http;

/// <summary>
/// The RFC 6750 §3 <c>WWW-Authenticate: Bearer</c> challenge of a refusal: <c>invalid_token</c> on 401,
/// <c>insufficient_scope</c> on 403, <c>invalid_request</c> where the refusal says so, no error code when no token was
/// sent; <c>resource_metadata</c> (RFC 9728 §5.1) on every 401. The description is the refusal's one line, reduced to
/// the characters RFC 6750 allows in it; reasons never contain a token.
/// </summary>
internal static class BearerChallenge
{
    /// <summary>RFC 6750 bounds nothing; 200 characters keep the header well under proxies' limits.</summary>
    private const int MaxDescription = 200;

    public static string? For(HttpContext context, HeraldError error)
    {
        var code = error.Bearer switch
        {
            BearerError.NoToken => "",
            BearerError.InvalidRequest => "invalid_request",
            _ => error.Kind switch
            {
                ErrorKind.Unauthenticated => "invalid_token",
                ErrorKind.Forbidden => "insufficient_scope",
                _ => null,
            },
        };
        if (code is null)
        {
            return null;
        }

        var challenge = new StringBuilder("Bearer realm=\"herald\"");
        if (code.Length > 0)
        {
            challenge.Append(", error=\"").Append(code).Append("\", error_description=\"").Append(Description(error.Reason)).Append('"');
        }

        if (error.Kind == ErrorKind.Unauthenticated)
        {
            challenge.Append(", resource_metadata=\"").Append(Description(ProtectedResourceMetadata.UrlFor(context), int.MaxValue)).Append('"');
        }

        return challenge.ToString();
    }

    /// <summary>RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E. Quotes become apostrophes, anything else outside it '?'.</summary>
    private static string Description(string text, int max = MaxDescription)
    {
        var builder = new StringBuilder(Math.Min(text.Length, max));
        foreach (var c in text)
        {
            if (builder.Length >= max)
            {
                builder.Length = max - 1;
                builder.Append('~');
                break;
            }

            builder.Append(c switch
            {
                '"' => '\'',
                '\\' => '/',
                >= ' ' and <= '~' => c,
                _ => '?',
            });
        }

        return builder.ToString();
    }
}
