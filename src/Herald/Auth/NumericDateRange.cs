using Microsoft.IdentityModel.JsonWebTokens;

namespace Herald.Auth;

/// <summary>
/// <c>exp</c> and <c>nbf</c> (RFC 7519 NumericDate) outside what <see cref="DateTimeOffset"/> can hold, before year 1 or
/// after 9999: no issuer means them, and converting one would throw. Checked before any lifetime rule reads them.
/// </summary>
internal static class NumericDateRange
{
    private static readonly long Earliest = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly long Latest = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    /// <summary>Null when <c>exp</c> and <c>nbf</c> are absent or within range; else the one-line reason to refuse.</summary>
    public static string? Check(JsonWebToken jwt)
    {
        foreach (var claim in (ReadOnlySpan<string>)["exp", "nbf"])
        {
            if (jwt.TryGetPayloadValue<long>(claim, out var seconds) && (seconds < Earliest || seconds > Latest))
            {
                return $"the token's {claim} ({seconds}) is not a date between the years 1 and 9999";
            }
        }

        return null;
    }
}
