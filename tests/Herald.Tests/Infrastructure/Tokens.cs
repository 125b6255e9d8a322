using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Tests.Infrastructure;

/// <summary>Builds JWTs by hand, so tests can also forge the broken ones (alg none, wrong key, expired).</summary>
public static class Tokens
{
    public static string Create(
        string key,
        string[]? publish = null,
        string[]? subscribe = null,
        DateTimeOffset? expires = null,
        DateTimeOffset? notBefore = null,
        string alg = "HS256",
        JsonNode? payload = null)
    {
        var mercure = new JsonObject();
        if (payload is not null)
        {
            mercure["payload"] = payload;
        }

        if (publish is not null)
        {
            mercure["publish"] = new JsonArray(publish.Select(p => (JsonNode)p!).ToArray());
        }

        if (subscribe is not null)
        {
            mercure["subscribe"] = new JsonArray(subscribe.Select(p => (JsonNode)p!).ToArray());
        }

        var claims = new JsonObject { ["mercure"] = mercure };
        if (expires is { } exp)
        {
            claims["exp"] = exp.ToUnixTimeSeconds();
        }

        if (notBefore is { } nbf)
        {
            claims["nbf"] = nbf.ToUnixTimeSeconds();
        }

        return Sign(key, claims.ToJsonString(), alg);
    }

    public static string Sign(string key, string payloadJson, string alg = "HS256", string? kid = null)
    {
        var signingInput = SigningInput(payloadJson, alg, kid);
        if (alg == "none")
        {
            return signingInput + ".";
        }

        var keyBytes = Encoding.UTF8.GetBytes(key);
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = alg switch
        {
            "HS256" => HMACSHA256.HashData(keyBytes, data),
            "HS384" => HMACSHA384.HashData(keyBytes, data),
            "HS512" => HMACSHA512.HashData(keyBytes, data),
            _ => throw new ArgumentOutOfRangeException(nameof(alg)),
        };
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>Signs with an RSA (RS*, PS*) or ECDSA (ES*) private key, as an identity provider would.</summary>
    public static string SignAsymmetric(AsymmetricAlgorithm key, string payloadJson, string alg, string? kid = null)
    {
        var signingInput = SigningInput(payloadJson, alg, kid);
        var data = Encoding.ASCII.GetBytes(signingInput);
        var hash = alg[2..] switch
        {
            "384" => HashAlgorithmName.SHA384,
            "512" => HashAlgorithmName.SHA512,
            _ => HashAlgorithmName.SHA256,
        };
        var signature = (key, alg[0]) switch
        {
            (RSA rsa, 'R') => rsa.SignData(data, hash, RSASignaturePadding.Pkcs1),
            (RSA rsa, 'P') => rsa.SignData(data, hash, RSASignaturePadding.Pss),
            (ECDsa ecdsa, 'E') => ecdsa.SignData(data, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            _ => throw new ArgumentOutOfRangeException(nameof(alg)),
        };
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>A payload granting <paramref name="publish"/> and <paramref name="subscribe"/>, optionally expiring.</summary>
    public static string Payload(string[]? publish = null, string[]? subscribe = null, DateTimeOffset? expires = null)
    {
        var mercure = new JsonObject();
        if (publish is not null)
        {
            mercure["publish"] = new JsonArray(publish.Select(p => (JsonNode)p!).ToArray());
        }

        if (subscribe is not null)
        {
            mercure["subscribe"] = new JsonArray(subscribe.Select(p => (JsonNode)p!).ToArray());
        }

        var payload = new JsonObject { ["mercure"] = mercure };
        if (expires is { } exp)
        {
            payload["exp"] = exp.ToUnixTimeSeconds();
        }

        return payload.ToJsonString();
    }

    private static string SigningInput(string payloadJson, string alg, string? kid)
    {
        var header = kid is null
            ? JsonSerializer.Serialize(new { alg, typ = "JWT" })
            : JsonSerializer.Serialize(new { alg, typ = "JWT", kid });
        return Base64Url(Encoding.UTF8.GetBytes(header)) + "." + Base64Url(Encoding.UTF8.GetBytes(payloadJson));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
