using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CsCheck;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Fuzz;

/// <summary>
/// Random and malformed JWTs through the real subscribe endpoint, in the header, the query parameter or the cookie:
/// broken base64 and JSON, headers of every shape (alg, kid, crit, duplicates), claims of the wrong types, lifetimes
/// out of range, signatures right and wrong. Every one is answered 200 or 401, never 500, and nothing is thrown out of
/// the endpoint (Kestrel's own limits on the request line and headers aside). A clean token (HS256, correct signature, string selectors, within its lifetime) is always 200, and
/// one whose exp has passed is always 401.
/// </summary>
[Trait("Category", Fuzzing.Category)]
public sealed class TokenFuzzTests
{
    private const string Topic = "https://example.com/books/1";

    private static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>A JSON value of any type, from the plain to the absurd.</summary>
    private static readonly Gen<string> AnyJson = Gen.Frequency(
        (3, Fuzzing.HostileString.Select(s => JsonSerializer.Serialize(s))),
        (2, Gen.OneOf(Gen.Const("null"), Gen.Const("true"), Gen.Const("0"), Gen.Const("-1"), Gen.Const("1e400"), Gen.Const("1.5"), Gen.Const("[]"), Gen.Const("{}"), Gen.Const("[1,\"a\",null]"), Gen.Const("{\"a\":{\"b\":[{}]}}"))),
        (1, Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    /// <summary>exp and nbf: past, future, beyond DateTimeOffset's range, fractional, of the wrong type.</summary>
    private static readonly Gen<string> Times = Gen.Frequency(
        (4, Gen.Long[Now - 1_000_000, Now + 1_000_000].Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (1, Gen.OneOf(Gen.Const("253402300800"), Gen.Const("-62135596801"), Gen.Const("9223372036854775807"), Gen.Const("-9223372036854775808"), Gen.Const("99999999999999999999"), Gen.Const("1e20"), Gen.Const("-1e20"))),
        (1, Gen.Double[-1e12, 1e12].Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
        (1, AnyJson));

    private static readonly Gen<string> Selectors = Gen.Frequency(
        (6, Gen.OneOf(Gen.Const("*"), Gen.Const(Topic), Gen.Const("https://example.com/books/{id}"), Gen.Const("https://example.com/{+rest}"), Gen.Const("{"), Gen.Const("{a}{b}{c}{d}{e}{f}{g}{h}{i}"))),
        (3, Fuzzing.HostileString),
        (1, Gen.Int[1, 4000].Select(n => new string('x', n) + "{x}")));

    private static readonly Gen<string> SelectorArray = Gen.Frequency(
        (8, Selectors.Select(s => JsonSerializer.Serialize(s)).Array[0, 5].Select(items => "[" + string.Join(",", items) + "]")),
        (1, Gen.Int[999, 1002].Select(n => "[" + string.Join(",", Enumerable.Repeat("\"a\"", n)) + "]")),
        (1, AnyJson));

    /// <summary>Header members: mostly an HS algorithm, sometimes anything; kid, typ, crit, junk, duplicates.</summary>
    private static readonly Gen<(string Alg, string[] Members)> Headers =
        from alg in Gen.Frequency((10, Gen.Const("HS256")), (2, Gen.OneOf(Gen.Const("HS384"), Gen.Const("HS512"))), (2, Gen.OneOf(Gen.Const("none"), Gen.Const("RS256"), Gen.Const("ES256"), Gen.Const(""), Gen.Const("hs256"), Gen.Const("HS256 "))))
        from algJson in Gen.Frequency((12, Gen.Const(JsonSerializer.Serialize(alg))), (1, AnyJson))
        from extra in Gen.Frequency(
            (3, Gen.Const("\"typ\":\"JWT\"")),
            (1, Fuzzing.HostileString.Select(k => "\"kid\":" + JsonSerializer.Serialize(k))),
            (1, AnyJson.Select(v => "\"kid\":" + v)),
            (1, Gen.OneOf(Gen.Const("\"crit\":[\"x\"]"), Gen.Const("\"crit\":[]"), Gen.Const("\"crit\":\"alg\""), Gen.Const("\"b64\":false,\"crit\":[\"b64\"]"))),
            (1, Gen.Select(Fuzzing.HostileString, AnyJson, (k, v) => JsonSerializer.Serialize(k) + ":" + v)),
            (1, Gen.Const("\"alg\":\"none\""))).Array[0, 3]
        select (alg, new[] { "\"alg\":" + algJson }.Concat(extra).ToArray());

    private static readonly Gen<string[]> Claims =
        from mercure in Gen.Frequency(
            (8, Gen.Select(SelectorArray, SelectorArray, AnyJson, (s, p, payload) => $"{{\"subscribe\":{s},\"publish\":{p},\"payload\":{payload}}}")),
            (1, AnyJson))
        from hasMercure in Gen.Frequency((6, Gen.Const(true)), (1, Gen.Const(false)))
        from exp in Gen.Frequency((3, Gen.Const(default(string))), (2, Times.Select(t => (string?)t)))
        from nbf in Gen.Frequency((4, Gen.Const(default(string))), (1, Times.Select(t => (string?)t)))
        from sub in Gen.Frequency((3, Gen.Const(default(string))), (1, AnyJson.Select(s => (string?)s)))
        select new[] { hasMercure ? "\"mercure\":" + mercure : null, exp is null ? null : "\"exp\":" + exp, nbf is null ? null : "\"nbf\":" + nbf, sub is null ? null : "\"sub\":" + sub }
            .Where(c => c is not null).Select(c => c!).ToArray();

    /// <summary>How the token is spoiled, if at all, after signing.</summary>
    private enum Spoil
    {
        None,
        WrongSignature,
        NoSignature,
        FlipCharacter,
        Padding,
        ExtraSegment,
        Truncate,
        NotBase64,
        BrokenJson,
    }

    private sealed record Case(string Alg, string[] Header, string[] Claims, Spoil Spoil, int Where, int At);

    private static readonly Gen<Case> Cases =
        from header in Headers
        from claims in Claims
        from spoil in Gen.Frequency((12, Gen.Const(Spoil.None)), (1, Gen.Enum<Spoil>()))
        from via in Gen.Int[0, 2]
        from at in Gen.Int[0, 10_000]
        select new Case(header.Alg, header.Members, claims, spoil, via, at);

    [Fact]
    public async Task Random_tokens_are_answered_200_or_401_and_never_throw()
    {
        var errors = new ErrorLog();
        await using var hub = await TestHub.StartAsync(o => o.MaxConnectionsPerSubject = 0, services: errors.AddTo);
        using var cookieClient = hub.ClientWith(_ => { });

        await Cases.SampleAsync(
            async c =>
            {
                var token = Build(c);
                var status = await SubscribeAsync(hub, cookieClient, token, c.Where);
                // 414 and 431: Kestrel's own request-line and header limits, before the endpoint runs.
                Assert.True(status is 200 or 401 or 414 or 431, $"{status} for {Fuzzing.Show(token)}");
                if (status is not (414 or 431) && Expected(c) is { } expected)
                {
                    Assert.True(status == expected, $"{status}, expected {expected}, for {Fuzzing.Show(token)}");
                }
            },
            iter: Fuzzing.Iterations(1_600),
            threads: Fuzzing.HttpThreads,
            print: c => Fuzzing.Show(Build(c)) + $" ({c.Spoil}, via {c.Where})");

        errors.AssertEmpty();
    }

    [Fact]
    public async Task Random_strings_as_tokens_are_401_and_never_throw()
    {
        var errors = new ErrorLog();
        await using var hub = await TestHub.StartAsync(services: errors.AddTo);
        using var cookieClient = hub.ClientWith(_ => { });
        var strings = Gen.Frequency(
            (4, Fuzzing.HostileString.Where(s => s.Length > 0)),
            (2, Gen.String[Gen.Char["AZaz09-_.=+/"], 1, 300]),
            (1, Gen.Int[1, 6].Select(n => string.Join('.', Enumerable.Repeat("eyJhbGciOiJIUzI1NiJ9", n)))));

        await Gen.Select(strings, Gen.Int[0, 2]).SampleAsync(
            async (token, where) =>
            {
                var status = await SubscribeAsync(hub, cookieClient, token, where);
                Assert.True(status == 401, $"{status} for {Fuzzing.Show(token)}");
            },
            iter: Fuzzing.Iterations(600),
            threads: Fuzzing.HttpThreads,
            print: c => Fuzzing.Show(c.Item1) + $" via {c.Item2}");

        errors.AssertEmpty();
    }

    /// <summary>The status a token must get when the case is simple enough to know it; null when 200 and 401 are both fine.</summary>
    private static int? Expected(Case c)
    {
        if (c.Spoil != Spoil.None || c.Alg != "HS256" || c.Header is not ["\"alg\":\"HS256\"", ..] || c.Header.Skip(1).Any(m => m != "\"typ\":\"JWT\""))
        {
            return null;
        }

        var payload = JsonDocument.Parse("{" + string.Join(",", c.Claims) + "}").RootElement;
        var skew = 30;
        if (payload.TryGetProperty("exp", out var exp) && exp.ValueKind == JsonValueKind.Number && exp.TryGetDouble(out var e) && e < Now - skew - 5)
        {
            return 401; // expired, whatever else the token says
        }

        var clean = payload.EnumerateObject().All(p => p.Name switch
        {
            "mercure" => p.Value.ValueKind == JsonValueKind.Object
                && p.Value.EnumerateObject().All(m => m.Name == "payload" || (m.Value.ValueKind == JsonValueKind.Array && m.Value.GetArrayLength() <= 1000 && m.Value.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String))),
            "exp" => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var x) && x > Now + skew + 5 && x < 253402300799,
            "nbf" => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var n) && n < Now - skew - 5 && n > -62135596800,
            "sub" => p.Value.ValueKind == JsonValueKind.String,
            _ => false,
        });
        return clean ? 200 : null;
    }

    private static string Build(Case c)
    {
        var header = "{" + string.Join(",", c.Header) + "}";
        var payload = "{" + string.Join(",", c.Claims) + "}";
        if (c.Spoil == Spoil.BrokenJson)
        {
            payload = payload[..(c.At % (payload.Length + 1))];
        }

        var input = RawTokens.Base64Url(Encoding.UTF8.GetBytes(header)) + "." + RawTokens.Base64Url(Encoding.UTF8.GetBytes(payload));
        var key = Encoding.UTF8.GetBytes(TestHub.Key);
        var data = Encoding.ASCII.GetBytes(input);
        var signature = c.Alg switch
        {
            "HS384" => HMACSHA384.HashData(key, data),
            "HS512" => HMACSHA512.HashData(key, data),
            _ => HMACSHA256.HashData(key, data),
        };
        var token = input + "." + RawTokens.Base64Url(signature);
        return c.Spoil switch
        {
            Spoil.WrongSignature => input + "." + RawTokens.Base64Url(SHA256.HashData(data)),
            Spoil.NoSignature => input + ".",
            Spoil.FlipCharacter => Flip(token, c.At),
            Spoil.Padding => token + "==",
            Spoil.ExtraSegment => token + "." + RawTokens.Base64Url(signature),
            Spoil.Truncate => token[..(c.At % token.Length)],
            Spoil.NotBase64 => token.Insert(c.At % token.Length, "*"),
            _ => token,
        };
    }

    private static string Flip(string token, int at)
    {
        var chars = token.ToCharArray();
        var i = at % chars.Length;
        chars[i] = chars[i] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    /// <summary>Subscribes with the token in the header (0), the query (1) or the cookie (2), as far as its characters allow; the status only.</summary>
    private static async Task<int> SubscribeAsync(TestHub hub, HttpClient cookieClient, string token, int where)
    {
        var printable = token.All(c => c is > ' ' and < '\u007f');
        var cookieSafe = printable && token.All(c => c is not (';' or ',' or '"' or '\\'));
        using var timeout = new CancellationTokenSource(SseStream.WaitLimit);
        var query = HubRequests.TopicQuery(Topic);
        var inHeader = where == 0 && printable;
        var inCookie = where == 2 && cookieSafe;
        if (!inHeader && !inCookie)
        {
            query += "&authorization=" + Uri.EscapeDataString(token);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, TestHub.HubPath + "?" + query);
        var client = hub.Client;
        if (inHeader)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }
        else if (inCookie)
        {
            request.Headers.TryAddWithoutValidation("Cookie", "mercureAuthorization=" + token);
            client = cookieClient;
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            Fuzzing.AssertPrintableLine(await response.Content.ReadAsStringAsync(timeout.Token));
        }

        return (int)response.StatusCode;
    }
}
