using System.Text.Json;
using Herald.Protocol;
using Herald.Protocol.Matchers;

namespace Herald.Auth;

/// <summary>The claim rules of 1.0 access tokens that are not about keys: <c>typ</c>, <c>aud</c>, and the base of grant patterns.</summary>
internal static class AccessTokenRules
{
    /// <summary>RFC 9068 §2.1: <c>at+jwt</c>, or its full media type; media types compare case-insensitively (RFC 7515 §4.1.9).</summary>
    public static bool IsAccessTokenType(string? typ) =>
        typ is not null && (typ.Equals("at+jwt", StringComparison.OrdinalIgnoreCase) || typ.Equals("application/at+jwt", StringComparison.OrdinalIgnoreCase));

    /// <summary>Null when <c>aud</c> (a string or an array of strings) contains the resource identifier exactly.</summary>
    public static string? CheckAudience(JsonElement payload, string? resource)
    {
        if (string.IsNullOrEmpty(resource))
        {
            return "this hub has no resource identifier configured (Resource), so it accepts no 1.0 access tokens";
        }

        if (!payload.TryGetProperty("aud", out var aud))
        {
            return $"a 1.0 access token must carry aud naming this hub (\"{ReasonText.Quote(resource)}\")";
        }

        switch (aud.ValueKind)
        {
            case JsonValueKind.String when aud.GetString() == resource:
                return null;
            case JsonValueKind.Array:
                foreach (var item in aud.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && item.GetString() == resource)
                    {
                        return null;
                    }
                }

                break;
        }

        return $"the token's aud does not name this hub: it must contain \"{ReasonText.Quote(resource)}\"";
    }

    /// <summary>
    /// The URL relative grant patterns and topics resolve against: the resource identifier when it is an http(s) URL
    /// (usually the hub's own URL), else a placeholder whose path is the hub's (only the path of relative topics matters).
    /// </summary>
    public static string GrantBase(HeraldOptions options) =>
        Uri.TryCreate(options.Resource, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? options.Resource!
            : HubNamespace.DefaultHubUrl;
}
