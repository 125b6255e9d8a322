using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Auth;

/// <summary>
/// RFC 7515 §4.1.11: <c>crit</c> lists header extensions a recipient must understand or refuse the token. Herald
/// understands none, so a token carrying <c>crit</c> is refused, with a reason saying whether <c>crit</c> is malformed
/// (not a non-empty array of distinct names, or naming a registered header parameter) or names an unknown extension.
/// </summary>
internal static class CriticalHeader
{
    private const string Name = "crit";

    /// <summary>
    /// Header parameters registered by RFC 7515 (JWS) and RFC 7518 (JWA): they are part of the base specifications, so
    /// listing one as critical is malformed (RFC 7515 §4.1.11: producers must not).
    /// </summary>
    private static readonly HashSet<string> Registered = new(StringComparer.Ordinal)
    {
        "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
        "enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
    };

    /// <summary>Null when the header carries no <c>crit</c>; else the one-line reason the token is refused.</summary>
    public static string? Check(string encodedHeader)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(encodedHeader));
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return "the token's header is not valid JSON";
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return "the token's header must be a JSON object";
            }

            JsonElement? crit = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!property.NameEquals(Name))
                {
                    continue;
                }

                if (crit is not null)
                {
                    // Two values: which one another library would honour is anyone's guess.
                    return "the token's header has \"crit\" more than once";
                }

                crit = property.Value;
            }

            return crit is { } value ? Refusal(value) : null;
        }
    }

    private static string Refusal(JsonElement crit)
    {
        if (crit.ValueKind != JsonValueKind.Array)
        {
            return "the token's \"crit\" header must be a non-empty array of extension header names (RFC 7515 §4.1.11)";
        }

        if (crit.GetArrayLength() == 0)
        {
            return "the token's \"crit\" header is an empty array, which RFC 7515 §4.1.11 forbids";
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in crit.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return "the token's \"crit\" header must contain only strings (extension header names)";
            }

            var name = item.GetString()!;
            if (name.Length == 0)
            {
                return "the token's \"crit\" header contains an empty name";
            }

            if (Registered.Contains(name))
            {
                return $"the token's \"crit\" header lists \"{name}\", a registered header parameter that must not be marked critical (RFC 7515 §4.1.11)";
            }

            if (!names.Add(name))
            {
                return $"the token's \"crit\" header lists \"{Printable(name)}\" twice";
            }
        }

        // Every extension here is one Herald does not implement: accepting the token would ignore what it requires.
        return $"the token's \"crit\" header requires the extension \"{Printable(crit[0].GetString()!)}\", which this hub does not understand: mint the token without \"crit\"";
    }

    /// <summary>Names come from the caller: cut short, control characters escaped.</summary>
    private static string Printable(string value) => Protocol.ReasonText.Quote(value, 40);
}
