using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Herald.Tests.Infrastructure;

/// <summary>Mercure 1.0 access tokens (<c>at+jwt</c>, <c>authorization_details</c>) built by hand, so tests can break every part.</summary>
public static class AccessTokens
{
    public const string Issuer = "https://auth.example.com";
    public const string IssuerKey = "issuer-one-secret-key-that-is-long-enough-for-hs256";
    public const string OtherIssuer = "https://other-auth.example.com";
    public const string OtherIssuerKey = "issuer-two-secret-key-that-is-long-enough-for-hs256";
    public const string Resource = "https://hub.example.com/.well-known/mercure";
    public const string DetailType = "https://mercure.rocks/authorization-detail";

    /// <summary>Two HMAC issuers (each key verifies both roles) and the resource identifier, on top of the test hub's 0.x key.</summary>
    public static void Configure(HeraldOptions options)
    {
        options.Resource = Resource;
        options.Issuers.Add(new HeraldIssuer { Id = Issuer, PublisherKeys = [new HeraldKey { Key = IssuerKey }], SubscriberKeys = [new HeraldKey { Key = IssuerKey }] });
        options.Issuers.Add(new HeraldIssuer { Id = OtherIssuer, PublisherKeys = [new HeraldKey { Key = OtherIssuerKey }], SubscriberKeys = [new HeraldKey { Key = OtherIssuerKey }] });
    }

    /// <summary>One Mercure detail; topics are <c>match</c> values, a <c>~</c> prefix makes one a URL pattern.</summary>
    public static JsonObject Detail(string[] actions, string[] topics, JsonObject? payload = null)
    {
        var detail = new JsonObject
        {
            ["type"] = DetailType,
            ["actions"] = new JsonArray(actions.Select(a => (JsonNode)a!).ToArray()),
            ["topics"] = new JsonArray(topics.Select(t => (JsonNode)(t.StartsWith('~')
                ? new JsonObject { ["match"] = t[1..], ["match_type"] = "URLPattern" }
                : new JsonObject { ["match"] = t })).ToArray()),
        };
        if (payload is not null)
        {
            detail["payload"] = payload;
        }

        return detail;
    }

    /// <summary>Claims of a valid token from <see cref="Issuer"/> for <see cref="Resource"/>, expiring in an hour from <paramref name="now"/>.</summary>
    public static JsonObject Claims(DateTimeOffset? now = null, params JsonObject[] details)
    {
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = Resource,
            ["sub"] = "user-1",
            ["exp"] = (now ?? DateTimeOffset.UtcNow).AddHours(1).ToUnixTimeSeconds(),
        };
        if (details.Length > 0)
        {
            claims["authorization_details"] = new JsonArray(details.Select(d => (JsonNode)d).ToArray());
        }

        return claims;
    }

    public static string Publisher(params string[] topics) => Sign(Claims(null, Detail(["publish"], topics)));

    public static string Subscriber(params string[] topics) => Sign(Claims(null, Detail(["subscribe"], topics)));

    /// <summary>Signs with HS256 and the given <c>typ</c> (null: no <c>typ</c> header at all).</summary>
    public static string Sign(JsonObject claims, string key = IssuerKey, string? typ = "at+jwt", string? kid = null)
    {
        var input = SigningInput(claims, "HS256", typ, kid);
        return input + "." + RawTokens.Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(input)));
    }

    /// <summary>Signs with an RSA (RS256) or EC (ES256) private key, as an authorization server publishing a JWK Set would.</summary>
    public static string SignAsymmetric(AsymmetricAlgorithm key, JsonObject claims, string? kid, string typ = "at+jwt")
    {
        var alg = key is RSA ? "RS256" : "ES256";
        var input = SigningInput(claims, alg, typ, kid);
        var data = Encoding.ASCII.GetBytes(input);
        var signature = key is RSA rsa
            ? rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : ((ECDsa)key).SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return input + "." + RawTokens.Base64Url(signature);
    }

    /// <summary>The public JWK of an RSA or P-256 key.</summary>
    public static JsonObject Jwk(AsymmetricAlgorithm key, string kid)
    {
        if (key is RSA rsa)
        {
            var p = rsa.ExportParameters(false);
            return new JsonObject { ["kty"] = "RSA", ["kid"] = kid, ["use"] = "sig", ["alg"] = "RS256", ["n"] = RawTokens.Base64Url(p.Modulus!), ["e"] = RawTokens.Base64Url(p.Exponent!) };
        }

        var q = ((ECDsa)key).ExportParameters(false).Q;
        return new JsonObject { ["kty"] = "EC", ["kid"] = kid, ["crv"] = "P-256", ["x"] = RawTokens.Base64Url(q.X!), ["y"] = RawTokens.Base64Url(q.Y!) };
    }

    private static string SigningInput(JsonObject claims, string alg, string? typ, string? kid)
    {
        var header = new JsonObject { ["alg"] = alg };
        if (typ is not null)
        {
            header["typ"] = typ;
        }

        if (kid is not null)
        {
            header["kid"] = kid;
        }

        return RawTokens.Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + RawTokens.Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
    }
}
