using System.Security.Cryptography;
using System.Text;

namespace Herald.Tests.Infrastructure;

/// <summary>JWTs from raw header and payload JSON: for headers <see cref="Tokens"/> never writes (crit, duplicates, junk).</summary>
public static class RawTokens
{
    /// <summary>An HS256 token over exactly these header and payload texts, signed with <paramref name="key"/>.</summary>
    public static string Sign(string key, string headerJson, string payloadJson)
    {
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(headerJson)) + "." + Base64Url(Encoding.UTF8.GetBytes(payloadJson));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url(signature);
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
