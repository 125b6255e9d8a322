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
        string alg = "HS256")
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

        if (notBefore is { } nbf)
        {
            payload["nbf"] = nbf.ToUnixTimeSeconds();
        }

        return Sign(key, payload.ToJsonString(), alg);
    }

    public static string Sign(string key, string payloadJson, string alg = "HS256")
    {
        var header = JsonSerializer.Serialize(new { alg, typ = "JWT" });
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header)) + "." + Base64Url(Encoding.UTF8.GetBytes(payloadJson));
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

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
