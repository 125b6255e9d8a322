namespace Herald.Auth;

/// <summary>The kind of key a JWT algorithm needs; a key serves only its own family, which rules out algorithm confusion.</summary>
internal enum KeyFamily
{
    Hmac,
    Rsa,
    Ecdsa,
}

/// <summary>The JWS algorithms Herald accepts. <c>none</c> is not among them, ever.</summary>
internal static class JwtAlgorithm
{
    public static readonly string[] Hmac = ["HS256", "HS384", "HS512"];

    public static readonly string[] All = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

    public static bool IsKnown(string? algorithm) => algorithm is not null && All.Contains(algorithm, StringComparer.Ordinal);

    public static KeyFamily FamilyOf(string algorithm) => algorithm[0] switch
    {
        'H' => KeyFamily.Hmac,
        'E' => KeyFamily.Ecdsa,
        _ => KeyFamily.Rsa,
    };

    /// <summary>Bits of the hash: an HMAC secret must be at least this long (RFC 7518 §3.2).</summary>
    public static int HashBits(string algorithm) => algorithm.EndsWith("512", StringComparison.Ordinal) ? 512
        : algorithm.EndsWith("384", StringComparison.Ordinal) ? 384 : 256;

    /// <summary>The curve an ES algorithm is defined on, by key size (ES512 uses P-521).</summary>
    public static int CurveBits(string algorithm) => algorithm switch
    {
        "ES384" => 384,
        "ES512" => 521,
        _ => 256,
    };
}
