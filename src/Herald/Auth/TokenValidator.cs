using System.Text.Json;
using Herald.Protocol;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Auth;

/// <summary>
/// The outcome of verifying one token: its claims and the key that verified it, or a one-line reason and what kind of
/// refusal it is (a bad token, a token sent where its dialect may not come from, or an issuer's keys unreachable).
/// </summary>
internal readonly record struct TokenValidation(HeraldClaims? Claims, VerificationKey? Key, string? Error, ErrorKind Kind = ErrorKind.Unauthenticated);

/// <summary>
/// Verifies a JWT. A token whose <c>typ</c> is <c>at+jwt</c> or whose <c>iss</c> names a configured issuer is a 1.0
/// access token, verified with that issuer's keys only (<see cref="AccessTokenRules"/>); every other token is a 0.x
/// token verified with the role's <see cref="KeyRing"/>. Never both. The algorithm picks the keys that may verify it
/// (never a key of another family), <c>kid</c> narrows them, then lifetime and the grant claim are checked. Reasons
/// name what is wrong and never echo the token or a key.
/// </summary>
internal sealed class TokenValidator
{
    private static readonly JsonWebTokenHandler Handler = new();

    private readonly TopicSelectorStore _selectors;
    private readonly HeraldMetrics _metrics;
    private long _verifications;

    public TokenValidator(TopicSelectorStore selectors, HeraldMetrics metrics)
    {
        _selectors = selectors;
        _metrics = metrics;
    }

    /// <summary>Signature verifications attempted since start: what the validated-token cache saves.</summary>
    public long SignatureVerifications => Interlocked.Read(ref _verifications);

    public ValueTask<TokenValidation> ValidateAsync(KeyRing ring, string token, HeraldOptions options, DateTimeOffset now) =>
        ValidateAsync(ring, IssuerSet.Empty, token, TokenLocation.Header, options, now);

    public async ValueTask<TokenValidation> ValidateAsync(KeyRing ring, IssuerSet issuers, string token, TokenLocation location, HeraldOptions options, DateTimeOffset now)
    {
        var role = ring.Role == TokenRole.Publisher ? "publisher" : "subscriber";
        if (!Handler.CanReadToken(token))
        {
            return Fail(ring.Keys.Count == 0 && issuers.IsEmpty
                ? $"this hub has no {role} key configured, so it cannot verify tokens"
                : "the token is not a well-formed JWT");
        }

        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return Fail("the token is not a well-formed JWT");
        }

        if (CriticalHeader.Check(jwt.EncodedHeader) is { } critError)
        {
            return Fail(critError);
        }

        var iss = jwt.TryGetPayloadValue<string>("iss", out var issValue) ? issValue : null;
        var issuer = issuers.Find(iss);
        if (issuer is not null || AccessTokenRules.IsAccessTokenType(jwt.Typ))
        {
            if (location is TokenLocation.Query or TokenLocation.Cookie)
            {
                return new TokenValidation(null, null, location == TokenLocation.Query
                    ? "a 1.0 access token is never accepted in the URL: send it in the Authorization header or the " + TokenSource.AccessTokenCookie + " cookie"
                    : "a 1.0 access token is accepted only in the Authorization header or the " + TokenSource.AccessTokenCookie + " cookie", ErrorKind.Invalid);
            }

            return await ValidateAccessTokenAsync(ring.Role, jwt, iss, issuer, options, now).ConfigureAwait(false);
        }

        if (location == TokenLocation.AccessCookie)
        {
            return new TokenValidation(null, null, $"the {TokenSource.AccessTokenCookie} cookie carries only 1.0 access tokens (typ at+jwt from a configured issuer)", ErrorKind.Invalid);
        }

        if (ring.Keys.Count == 0)
        {
            return Fail($"this hub has no {role} key configured, so it cannot verify tokens");
        }

        var alg = jwt.Alg;
        if (!JwtAlgorithm.IsKnown(alg) || !ring.Keys.Any(k => k.Algorithms.Contains(alg, StringComparer.Ordinal)))
        {
            return Fail($"the token's algorithm \"{Printable(alg)}\" is not accepted by any {role} key (accepted: {ring.AcceptedAlgorithms})");
        }

        var (candidates, candidateError) = Candidates(ring.Keys, jwt, alg, role);
        if (candidates is null)
        {
            return Fail(candidateError!);
        }

        var (verifiedBy, verifyError) = await VerifyAsync(candidates, jwt).ConfigureAwait(false);
        if (verifyError is not null)
        {
            return Fail(verifyError);
        }

        if (verifiedBy is null)
        {
            return Fail(candidates.Count == 1 && ring.Keys.Count == 1
                ? $"the token's signature did not verify with the {role} key"
                : $"the token's signature did not verify with any {role} key for {alg} ({string.Join(", ", candidates.Select(k => k.Label))})");
        }

        if (NumericDateRange.Check(jwt) is { } rangeError)
        {
            return Fail(rangeError);
        }

        var expires = jwt.TryGetPayloadValue<long>("exp", out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : (DateTimeOffset?)null;
        var notBefore = jwt.TryGetPayloadValue<long>("nbf", out var nbf) ? DateTimeOffset.FromUnixTimeSeconds(nbf) : (DateTimeOffset?)null;
        if (expires is null && options.RequireExp)
        {
            return Fail("the token has no exp claim and this hub requires one (RequireExp): mint it with an expiry");
        }

        if (CheckLifetime(expires, notBefore, now, options.ClockSkew) is { } timeError)
        {
            return Fail(timeError);
        }

        var (claims, claimError) = ReadMercureClaim(jwt, expires, options.MaxTopics);
        return claims is null ? Fail(claimError!) : new TokenValidation(claims, verifiedBy, null);
    }

    /// <summary>
    /// A 1.0 access token (draft-08 "Token Validation", RFC 9068): the named issuer's keys only, <c>typ</c> at+jwt,
    /// <c>exp</c> required, <c>nbf</c> enforced, <c>aud</c> containing the hub's resource identifier, grants only from
    /// <c>authorization_details</c>.
    /// </summary>
    private async ValueTask<TokenValidation> ValidateAccessTokenAsync(TokenRole role, JsonWebToken jwt, string? iss, IssuerKeys? issuer, HeraldOptions options, DateTimeOffset now)
    {
        var roleName = role == TokenRole.Publisher ? "publisher" : "subscriber";
        if (issuer is null)
        {
            return Fail(iss is null
                ? "a 1.0 access token (typ at+jwt) must name its issuer in iss"
                : $"the token's iss \"{Printable(iss)}\" is not an issuer this hub trusts (Issuers)");
        }

        if (!AccessTokenRules.IsAccessTokenType(jwt.Typ))
        {
            return Fail($"a token from issuer \"{Printable(issuer.Id)}\" must be an access token with typ at+jwt (RFC 9068), not \"{Printable(jwt.Typ)}\": ID tokens and other JWTs are refused");
        }

        var alg = jwt.Alg;
        if (!JwtAlgorithm.IsKnown(alg))
        {
            return Fail($"the token's algorithm \"{Printable(alg)}\" is not on the hub's allow-list ({string.Join(", ", JwtAlgorithm.All)})");
        }

        var keys = new List<VerificationKey>(issuer.For(role).Keys);
        if (issuer.Jwks is { } jwks)
        {
            var (fetched, fetchError) = await jwks.GetAsync(jwt.Kid).ConfigureAwait(false);
            if (fetched is null && keys.Count == 0)
            {
                return new TokenValidation(null, null, fetchError, ErrorKind.Unavailable);
            }

            keys.AddRange(fetched ?? []);
        }

        var forAlg = keys.Where(k => k.Algorithms.Contains(alg, StringComparer.Ordinal)).ToList();
        if (forAlg.Count == 0)
        {
            return Fail($"issuer \"{Printable(issuer.Id)}\" has no {roleName} key for {Printable(alg)}");
        }

        var (candidates, candidateError) = Candidates(forAlg, jwt, alg, $"{roleName} key of issuer \"{Printable(issuer.Id)}\"");
        if (candidates is null)
        {
            return Fail(candidateError!);
        }

        var (verifiedBy, verifyError) = await VerifyAsync(candidates, jwt).ConfigureAwait(false);
        if (verifyError is not null || verifiedBy is null)
        {
            return Fail(verifyError ?? $"the token's signature did not verify with any {roleName} key of issuer \"{Printable(issuer.Id)}\" for {alg}");
        }

        if (NumericDateRange.Check(jwt) is { } rangeError)
        {
            return Fail(rangeError);
        }

        if (!jwt.TryGetPayloadValue<long>("exp", out var exp))
        {
            return Fail("a 1.0 access token must carry exp (draft-08: the hub enforces it from the first request)");
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(exp);
        var notBefore = jwt.TryGetPayloadValue<long>("nbf", out var nbf) ? DateTimeOffset.FromUnixTimeSeconds(nbf) : (DateTimeOffset?)null;
        if (CheckLifetime(expires, notBefore, now, options.ClockSkew) is { } timeError)
        {
            return Fail(timeError);
        }

        JsonElement payload;
        try
        {
            payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload)).RootElement;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return Fail("the token's payload is not valid JSON");
        }

        if (AccessTokenRules.CheckAudience(payload, options.Resource) is { } audienceError)
        {
            return Fail(audienceError);
        }

        var (grants, grantError) = AuthorizationDetails.Read(payload, AccessTokenRules.GrantBase(options), options.MaxTopics);
        if (grants is null)
        {
            return Fail(grantError!);
        }

        var subject = payload.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String ? sub.GetString() : null;
        var claims = new HeraldClaims([], [], null, expires) { Subject = subject, Dialect = TokenDialect.V1, Grants = grants, Issuer = issuer.Id };
        return new TokenValidation(claims, verifiedBy, null);
    }

    /// <summary>Tries each candidate; a failure other than a wrong signature ends the search with its reason.</summary>
    private async ValueTask<(VerificationKey? Key, string? Error)> VerifyAsync(List<VerificationKey> candidates, JsonWebToken jwt)
    {
        foreach (var key in candidates)
        {
            Interlocked.Increment(ref _verifications);
            _metrics.SignatureVerified();
            var result = await Handler.ValidateTokenAsync(jwt, key.Parameters).ConfigureAwait(false);
            if (result.IsValid)
            {
                return (key, null);
            }

            if (result.Exception is not (SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException))
            {
                return (null, "the token was rejected: " + FirstLine(result.Exception?.Message));
            }
        }

        return (null, null);
    }

    /// <summary>
    /// The one lifetime rule, for both roles, verified or cached: a token is expired from its <c>exp</c> on (no skew:
    /// a stream closes at <c>exp</c> too, so connecting may not outlast it); <paramref name="skew"/> only forgives an
    /// issuer whose clock runs ahead of the hub's, on <c>nbf</c>.
    /// </summary>
    public static string? CheckLifetime(DateTimeOffset? expires, DateTimeOffset? notBefore, DateTimeOffset now, TimeSpan skew)
    {
        if (expires is { } exp && now >= exp)
        {
            return $"the token expired at {exp:yyyy-MM-ddTHH:mm:ssZ}";
        }

        if (notBefore is { } nbf && now + skew < nbf)
        {
            return $"the token is not valid before {nbf:yyyy-MM-ddTHH:mm:ssZ}";
        }

        return null;
    }

    /// <summary>Keys of the token's algorithm; a <c>kid</c> naming keys narrows to them, an unknown one to the unnamed keys.</summary>
    private static (List<VerificationKey>? Keys, string? Error) Candidates(IReadOnlyList<VerificationKey> keys, JsonWebToken jwt, string alg, string role)
    {
        var forAlg = keys.Where(k => k.Algorithms.Contains(alg, StringComparer.Ordinal)).ToList();
        if (!string.IsNullOrEmpty(jwt.Kid))
        {
            var named = forAlg.Where(k => k.KeyId == jwt.Kid).ToList();
            forAlg = named.Count > 0 ? named : forAlg.Where(k => k.KeyId is null).ToList();
            if (forAlg.Count == 0)
            {
                return (null, $"the token's kid \"{Printable(jwt.Kid)}\" names no {role} key for {alg}");
            }
        }

        if (JwtAlgorithm.FamilyOf(alg) != KeyFamily.Hmac)
        {
            return (forAlg, null);
        }

        // RFC 7518 §3.2: an HMAC key must be at least the hash size. The JWT library enforces it by failing signature
        // validation, which would misleadingly read as a forged token, so say what is wrong instead.
        var needed = JwtAlgorithm.HashBits(alg);
        var longEnough = forAlg.Where(k => k.SecurityKey.KeySize >= needed).ToList();
        return longEnough.Count > 0
            ? (longEnough, null)
            : (null, $"the hub's {role} key is {forAlg.Max(k => k.SecurityKey.KeySize)} bits, too short for {alg} (at least {needed} bits): sign with HS256 or configure a longer key");
    }

    private (HeraldClaims? Claims, string? Error) ReadMercureClaim(JsonWebToken jwt, DateTimeOffset? expires, int maxTopics)
    {
        JsonElement payload;
        try
        {
            payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload)).RootElement;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return (null, "the token's payload is not valid JSON");
        }

        if (payload.TryGetProperty(AuthorizationDetails.Claim, out _))
        {
            // A 1.0 grant in a token verified by 0.x keys is forged or misrouted: it must not be silently ignored either.
            return (null, "the token carries authorization_details but is not a 1.0 access token (typ at+jwt from a configured issuer)");
        }

        var subject = payload.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String ? sub.GetString() : null;
        if (!payload.TryGetProperty("mercure", out var mercure))
        {
            return (new HeraldClaims([], [], null, expires) { Subject = subject }, null);
        }

        if (mercure.ValueKind != JsonValueKind.Object)
        {
            return (null, "the token's \"mercure\" claim must be an object");
        }

        var (publish, publishError) = ReadSelectors(mercure, "publish", maxTopics);
        if (publishError is not null)
        {
            return (null, publishError);
        }

        var (subscribe, subscribeError) = ReadSelectors(mercure, "subscribe", maxTopics);
        if (subscribeError is not null)
        {
            return (null, subscribeError);
        }

        JsonElement? mercurePayload = mercure.TryGetProperty("payload", out var p) ? p.Clone() : null;
        return (new HeraldClaims(publish!, subscribe!, mercurePayload, expires) { Subject = subject }, null);
    }

    private (IReadOnlyList<TopicSelector>? Selectors, string? Error) ReadSelectors(JsonElement mercure, string name, int maxTopics)
    {
        if (!mercure.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return ([], null);
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            return (null, $"the token's mercure.{name} claim must be an array of topic selectors");
        }

        if (array.GetArrayLength() > maxTopics)
        {
            return (null, $"the token's mercure.{name} claim has {array.GetArrayLength()} selectors (at most {maxTopics})");
        }

        var selectors = new List<TopicSelector>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return (null, $"the token's mercure.{name} claim must contain only strings");
            }

            selectors.Add(_selectors.Get(item.GetString()!));
        }

        return (selectors, null);
    }

    private static TokenValidation Fail(string reason) => new(null, null, reason);

    /// <summary>Header values come from the caller: cut them short, control characters escaped, on one line.</summary>
    private static string Printable(string? value) => ReasonText.Quote(value, 40);

    private static string FirstLine(string? message)
    {
        if (string.IsNullOrEmpty(message))
        {
            return "invalid token";
        }

        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
