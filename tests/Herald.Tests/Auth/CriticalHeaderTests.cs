using System.Net;
using System.Net.Http.Headers;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Auth;

/// <summary>
/// RFC 7515 §4.1.11: a token whose <c>crit</c> header names an extension the hub does not understand must be refused,
/// and so must a malformed <c>crit</c>. Herald understands no extension, so every <c>crit</c> is refused, with a reason.
/// </summary>
public sealed class CriticalHeaderTests
{
    private const string Topic = "https://example.com/books/1";

    public static TheoryData<string, string> CriticalHeaders => new()
    {
        // An extension Herald does not understand, present in the header as the RFC requires.
        { """{"alg":"HS256","typ":"JWT","crit":["https://example.com/must-check"],"https://example.com/must-check":true}""", "https://example.com/must-check" },

        // RFC 7797 unencoded payloads change what is signed: not understood, so refused rather than misread.
        { """{"alg":"HS256","b64":false,"crit":["b64"]}""", "b64" },

        // Listed but absent from the header: still an extension the hub would have to understand.
        { """{"alg":"HS256","crit":["exp"]}""", "exp" },
        { """{"alg":"HS256","crit":["known-to-nobody","other"],"known-to-nobody":1,"other":2}""", "known-to-nobody" },
    };

    public static TheoryData<string, string> MalformedCriticalHeaders => new()
    {
        { """{"alg":"HS256","crit":[]}""", "empty" },
        { """{"alg":"HS256","crit":"ext","ext":1}""", "array" },
        { """{"alg":"HS256","crit":{"ext":1}}""", "array" },
        { """{"alg":"HS256","crit":null}""", "array" },
        { """{"alg":"HS256","crit":[1]}""", "strings" },
        { """{"alg":"HS256","crit":["ext",null],"ext":1}""", "strings" },
        { """{"alg":"HS256","crit":[""]}""", "empty name" },
        { """{"alg":"HS256","crit":["alg"]}""", "\"alg\"" },
        { """{"alg":"HS256","kid":"k","crit":["kid"]}""", "\"kid\"" },
        { """{"alg":"HS256","crit":["crit"]}""", "\"crit\"" },
        { """{"alg":"HS256","crit":["ext","ext"],"ext":1}""", "twice" },
        { """{"alg":"HS256","crit":["ext"],"ext":1,"crit":["ext"]}""", "more than once" },
    };

    [Theory]
    [MemberData(nameof(CriticalHeaders))]
    public async Task A_publish_token_with_a_critical_extension_is_refused_naming_it(string header, string extension)
    {
        await using var hub = await TestHub.StartAsync();
        var token = RawTokens.Sign(TestHub.Key, header, Tokens.Payload(publish: ["*"]));

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);

        var reason = await response.AssertRefusedAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("crit", reason);
        Assert.Contains($"\"{extension}\"", reason);
        Assert.DoesNotContain(token, reason);
    }

    [Theory]
    [MemberData(nameof(CriticalHeaders))]
    public async Task A_subscribe_token_with_a_critical_extension_is_refused_even_on_an_anonymous_hub(string header, string extension)
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        var token = RawTokens.Sign(TestHub.Key, header, Tokens.Payload(subscribe: ["*"]));

        using var response = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        // Checked before reading: an accepted subscription is a stream that never ends.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var reason = await response.AssertRefusedAsync(HttpStatusCode.Unauthorized);
        Assert.Contains($"\"{extension}\"", reason);
    }

    [Theory]
    [MemberData(nameof(MalformedCriticalHeaders))]
    public async Task A_malformed_crit_is_refused_saying_what_is_wrong(string header, string expected)
    {
        await using var hub = await TestHub.StartAsync();
        var token = RawTokens.Sign(TestHub.Key, header, Tokens.Payload(publish: ["*"]));

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);

        var reason = await response.AssertRefusedAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("crit", reason);
        Assert.Contains(expected, reason);
    }

    [Fact]
    public async Task A_token_without_crit_and_with_unknown_non_critical_headers_is_accepted()
    {
        await using var hub = await TestHub.StartAsync();
        var token = RawTokens.Sign(TestHub.Key, """{"alg":"HS256","typ":"JWT","x-extra":"ignored","critical":["not crit"]}""", Tokens.Payload(publish: ["*"]));

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
