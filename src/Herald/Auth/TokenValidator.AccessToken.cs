using System.Text.Json;
using Herald.Protocol;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Auth;

/// <summary>The 1.0 half of <see cref="TokenValidator"/>: access tokens of a configured issuer.</summary>
internal sealed partial class TokenValidator
{
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
}
