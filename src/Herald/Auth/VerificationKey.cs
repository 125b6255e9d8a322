using Microsoft.IdentityModel.Tokens;

namespace Herald.Auth;

/// <summary>A configured key, loaded and bound to the algorithms it may verify (one family only).</summary>
internal sealed class VerificationKey
{
    public VerificationKey(string label, string fingerprint, string? keyId, KeyFamily family, string[] algorithms, SecurityKey key)
    {
        Label = label;
        Fingerprint = fingerprint;
        KeyId = keyId;
        Family = family;
        Algorithms = algorithms;
        SecurityKey = key;
        Parameters = new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidAlgorithms = algorithms,
            RequireSignedTokens = true,
            ValidateIssuer = false,
            ValidateAudience = false,

            // Lifetime is checked against the hub's TimeProvider with the configured skew, and exp is optional as in Mercure 0.x.
            ValidateLifetime = false,
            RequireExpirationTime = false,
        };
    }

    /// <summary>Names the key in refusals and logs without revealing it: "publisher key 2 (RS256, kid 2025-01)".</summary>
    public string Label { get; }

    /// <summary>SHA-256 of the algorithm family and key material: the key's identity across configuration reloads.</summary>
    public string Fingerprint { get; }

    public string? KeyId { get; }

    public KeyFamily Family { get; }

    public string[] Algorithms { get; }

    public SecurityKey SecurityKey { get; }

    public TokenValidationParameters Parameters { get; }
}
