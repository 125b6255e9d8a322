namespace Herald;

/// <summary>
/// A Mercure 1.0 token issuer (an OAuth 2.0 authorization server, or a publisher issuing its own <c>at+jwt</c> access
/// tokens). A token whose <c>iss</c> is <see cref="Id"/> (or whose <c>typ</c> is <c>at+jwt</c>) is verified with this
/// issuer's keys only, never with the hub's 0.x keys. Bound from configuration as
/// <c>{ "Id": "https://auth.example.com", "JwksUri": "https://auth.example.com/jwks.json" }</c>.
/// </summary>
public sealed class HeraldIssuer
{
    /// <summary>The issuer identifier, compared byte for byte with the token's <c>iss</c>.</summary>
    public string? Id { get; set; }

    /// <summary>Keys verifying this issuer's publisher tokens (same syntax as <see cref="HeraldOptions.PublisherKeys"/>).</summary>
    public List<HeraldKey> PublisherKeys { get; set; } = [];

    /// <summary>Keys verifying this issuer's subscriber tokens.</summary>
    public List<HeraldKey> SubscriberKeys { get; set; } = [];

    /// <summary>
    /// The issuer's JWK Set (RFC 7517), fetched and cached; refreshed when a token names an unknown <c>kid</c>. Its keys
    /// verify both roles (an authorization server signs every token it issues with the same keys).
    /// </summary>
    public string? JwksUri { get; set; }
}
