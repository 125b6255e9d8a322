namespace Herald;

/// <summary>
/// One key that verifies tokens of one role. Bound from configuration as
/// <c>{ "Algorithm": "RS256", "Key": "@keys/publisher.pem", "KeyId": "2025-01" }</c>.
/// </summary>
public sealed class HeraldKey
{
    /// <summary>
    /// The one JWT algorithm this key verifies: <c>HS256</c>/<c>HS384</c>/<c>HS512</c> (an HMAC secret),
    /// <c>RS*</c>/<c>PS*</c> (an RSA public key) or <c>ES*</c> (an ECDSA public key). Unset means an HMAC secret
    /// accepting HS256, HS384 and HS512, as the single <see cref="HeraldOptions.JwtKey"/> always did.
    /// </summary>
    public string? Algorithm { get; set; }

    /// <summary>An HMAC secret (UTF-8, at least 32 bytes), or a PEM public key inline or as <c>@path/to/key.pem</c>.</summary>
    public string? Key { get; set; }

    /// <summary>Optional <c>kid</c>: a token naming it is verified with this key only.</summary>
    public string? KeyId { get; set; }

    /// <summary>Parses the flag syntax <c>[ALG[/KID]:]VALUE</c>; a value without a known algorithm prefix is an HMAC secret.</summary>
    public static HeraldKey Parse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            var prefix = text[..colon];
            var slash = prefix.IndexOf('/', StringComparison.Ordinal);
            var algorithm = slash < 0 ? prefix : prefix[..slash];
            if (Auth.JwtAlgorithm.IsKnown(algorithm) && (slash < 0 || slash < prefix.Length - 1))
            {
                return new HeraldKey
                {
                    Algorithm = algorithm,
                    KeyId = slash < 0 ? null : prefix[(slash + 1)..],
                    Key = text[(colon + 1)..],
                };
            }
        }

        return new HeraldKey { Key = text };
    }
}
