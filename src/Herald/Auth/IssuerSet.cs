namespace Herald.Auth;

/// <summary>One configured 1.0 issuer: its static keys per role and its JWK Set, if it has one.</summary>
internal sealed class IssuerKeys
{
    public IssuerKeys(string id, KeyRing publishers, KeyRing subscribers, JwksCache? jwks)
    {
        Id = id;
        Publishers = publishers;
        Subscribers = subscribers;
        Jwks = jwks;
    }

    public string Id { get; }

    public KeyRing Publishers { get; }

    public KeyRing Subscribers { get; }

    public JwksCache? Jwks { get; }

    public KeyRing For(TokenRole role) => role == TokenRole.Publisher ? Publishers : Subscribers;

    /// <summary>True while the key that verified a cached token is still one of this issuer's (for reloads).</summary>
    public bool Knows(TokenRole role, string fingerprint) => For(role).Contains(fingerprint) || Jwks?.Contains(fingerprint) == true;
}

/// <summary>
/// The configured 1.0 issuers by <c>iss</c> (exact, ordinal). A reload keeps the JWK Set cache of an issuer whose id
/// and URL did not change, so reloading configuration does not refetch every key set.
/// </summary>
internal sealed class IssuerSet
{
    public static readonly IssuerSet Empty = new([]);

    private readonly Dictionary<string, IssuerKeys> _byId;

    private IssuerSet(Dictionary<string, IssuerKeys> byId)
    {
        _byId = byId;
    }

    public bool IsEmpty => _byId.Count == 0;

    public IEnumerable<IssuerKeys> All => _byId.Values;

    public IssuerKeys? Find(string? iss) => iss is not null && _byId.TryGetValue(iss, out var issuer) ? issuer : null;

    public bool Knows(TokenRole role, string fingerprint) => _byId.Values.Any(i => i.Knows(role, fingerprint));

    public static IssuerSet Build(HeraldOptions options, IssuerSet? previous, Func<string, string, JwksCache> newJwks)
    {
        if (options.Issuers.Count == 0)
        {
            return Empty;
        }

        var byId = new Dictionary<string, IssuerKeys>(StringComparer.Ordinal);
        foreach (var issuer in options.Issuers)
        {
            // Invalid entries were refused by the options validator; any left (a reload that failed validation) are skipped.
            if (string.IsNullOrEmpty(issuer.Id) || byId.ContainsKey(issuer.Id))
            {
                continue;
            }

            var prefix = $"issuer {Protocol.ReasonText.Quote(issuer.Id, 60)} ";
            var publishers = KeyRing.Build(TokenRole.Publisher, issuer.PublisherKeys, options.JwtAlgorithms, prefix).Ring;
            var subscribers = KeyRing.Build(TokenRole.Subscriber, issuer.SubscriberKeys, options.JwtAlgorithms, prefix).Ring;
            JwksCache? jwks = null;
            if (!string.IsNullOrEmpty(issuer.JwksUri))
            {
                jwks = previous?.Find(issuer.Id)?.Jwks is { } kept && kept.Uri == issuer.JwksUri ? kept : newJwks(issuer.Id, issuer.JwksUri);
            }

            byId[issuer.Id] = new IssuerKeys(issuer.Id, publishers, subscribers, jwks);
        }

        return new IssuerSet(byId);
    }
}
