using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Fuzz;

/// <summary>Bugs the fuzzers found, each kept as the explicit input that showed it (CsCheck seeds change with the generators).</summary>
public sealed class FuzzFindingsTests
{
    private const string Topic = "https://example.com/books/1";

    /// <summary>
    /// SseFrameFuzzTests (seed 3RvXtnVkODF1, retry 685391271498314092): the hub accepted any 18-digit retry, but
    /// SseParser drops one beyond TimeSpan's range and JavaScript timers fire at once above 2^31-1 ms, so a huge
    /// retry made clients reconnect immediately instead of waiting.
    /// </summary>
    [Theory]
    [InlineData("2147483648")]
    [InlineData("685391271498314092")]
    [InlineData("999999999999999999")]
    public async Task A_retry_longer_than_a_client_timer_can_wait_is_refused(string retry)
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x"), new("retry", retry)]);

        Assert.Contains("2147483647", await response.AssertRefusedAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task The_longest_retry_reaches_subscribers_as_sent()
    {
        await using var hub = await TestHub.StartAsync();
        await using var watcher = await hub.SubscribeAsync([Topic], hub.SubscriberToken("*"));

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x"), new("retry", "2147483647")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TimeSpan.FromMilliseconds(int.MaxValue), (await watcher.NextAsync()).ReconnectionInterval);
    }

    /// <summary>
    /// PublishFormFuzzTests (seed 8BereifhmL52): <c>charset=utf-7</c> made ASP.NET Core's form reader throw
    /// NotSupportedException past the endpoint: 500, an exception logged by Kestrel. A form is read as UTF-8 whatever
    /// its charset says, as browsers send forms and Mercure reads them (a charset=utf-16 label on an ASCII body was
    /// also misread, as no topic at all).
    /// </summary>
    [Theory]
    [InlineData("application/x-www-form-urlencoded; charset=utf-7")]
    [InlineData("application/x-www-form-urlencoded; charset=UTF-7")]
    [InlineData("application/x-www-form-urlencoded; charset=bogus")]
    [InlineData("application/x-www-form-urlencoded; charset=utf-16")]
    [InlineData("application/x-www-form-urlencoded; charset=latin1")]
    public async Task A_form_is_read_as_UTF_8_whatever_its_charset_says(string contentType)
    {
        var errors = new ErrorLog();
        await using var hub = await TestHub.StartAsync(services: errors.AddTo);
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes("topic=https%3A%2F%2Fexample.com%2Fbooks%2F1&data=x"));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await hub.PostRawAsync(content, hub.PublisherToken());

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.BodyAsync()}");
        errors.AssertEmpty();
    }

    /// <summary>
    /// PublishFormFuzzTests (seed 5nMCtpyuAei6): ASP.NET Core's form reader refuses a <c>%00</c> escape (its URL decoder
    /// treats NUL as an attack on paths); the refusal said only "the form value contains invalid characters".
    /// </summary>
    [Fact]
    public async Task A_percent_encoded_NUL_is_refused_saying_so()
    {
        await using var hub = await TestHub.StartAsync();
        var content = new StringContent("topic=https%3A%2F%2Fexample.com%2Fbooks%2F1&data=a%00b", Encoding.ASCII, "application/x-www-form-urlencoded");

        using var response = await hub.PostRawAsync(content, hub.PublisherToken());

        Assert.Contains("%00", await response.AssertRefusedAsync(HttpStatusCode.BadRequest));
    }

    /// <summary>
    /// TokenFuzzTests (seed bY-AF6vzNMJ2, nbf -62135596801): an exp or nbf outside DateTimeOffset's range (before
    /// year 1, after 9999) made DateTimeOffset.FromUnixTimeSeconds throw out of the endpoint: 500, for publishers and
    /// subscribers, before any lifetime rule was applied.
    /// </summary>
    [Theory]
    [InlineData("nbf", "-62135596801")]
    [InlineData("exp", "253402300800")]
    [InlineData("exp", "9223372036854775807")]
    [InlineData("nbf", "-9223372036854775808")]
    public async Task An_exp_or_nbf_beyond_the_calendar_is_401_not_500(string claim, string value)
    {
        var errors = new ErrorLog();
        await using var hub = await TestHub.StartAsync(services: errors.AddTo);
        var token = RawTokens.Sign(TestHub.Key, """{"alg":"HS256"}""", $$"""{"mercure":{"subscribe":["*"],"publish":["*"]},"{{claim}}":{{value}}}""");

        using var subscribe = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));
        Assert.Equal(HttpStatusCode.Unauthorized, subscribe.StatusCode);
        Assert.Contains(claim, await subscribe.AssertRefusedAsync(HttpStatusCode.Unauthorized));
        using var publish = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);
        Assert.Contains(claim, await publish.AssertRefusedAsync(HttpStatusCode.Unauthorized));
        errors.AssertEmpty();
    }

    /// <summary>
    /// PublishFormFuzzTests (seed 2J-Ntc9XTQ41) and TokenFuzzTests (seed 8KS27gUlhCl2): refusals quoted what the
    /// request sent as it was, so a topic, id, algorithm or kid carrying a line break, U+2029 or an ANSI escape made a
    /// refusal of several lines, or one that rewrites a terminal, and the same went into the Debug log. Since the
    /// Mercure 1.0 draft's topic rules, a topic with a control character is refused as invalid (400) before it is
    /// authorized; one with only line or paragraph separators still reaches the 403 that quotes it.
    /// </summary>
    [Theory]
    [InlineData("https://evil.example/a\nb", HttpStatusCode.BadRequest)]
    [InlineData("https://evil.example/\u001b[31mred\u001b[0m", HttpStatusCode.BadRequest)]
    [InlineData("https://evil.example/\u2029\u0085\r", HttpStatusCode.BadRequest)]
    [InlineData("https://example.com/.well-known/mercure\nforged: line", HttpStatusCode.BadRequest)]
    [InlineData("https://evil.example/\u2029\u2028forged", HttpStatusCode.Forbidden)]
    public async Task A_refused_topic_is_quoted_on_one_line_without_control_characters(string topic, HttpStatusCode status)
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.PostAsync([new("topic", topic), new("data", "x")], hub.PublisherToken("https://example.com/books/{id}"));

        AssertPrintable(await response.AssertRefusedAsync(status));
    }

    [Fact]
    public async Task An_id_with_a_terminal_escape_is_refused_in_a_printable_line()
    {
        // Such an id can no longer be stored (control characters are refused), so it never reaches a 409 either.
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "second"), new("id", "urn:x:\u001b[2J")]);

        AssertPrintable(await response.AssertRefusedAsync(HttpStatusCode.BadRequest));
    }

    [Theory]
    [InlineData("alg", "\u001b[2J")]
    [InlineData("alg", "HS256\u2028x")]
    [InlineData("kid", "\u001b]0;title\u0007")]
    public async Task A_refused_algorithm_or_kid_is_quoted_without_control_characters(string member, string value)
    {
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.JwtKey = null;
            o.JwtKeys = [new HeraldKey { Key = TestHub.Key, KeyId = "k1" }];
        });
        var header = member == "alg" ? $$"""{"alg":{{System.Text.Json.JsonSerializer.Serialize(value)}}}""" : $$"""{"alg":"HS256","kid":{{System.Text.Json.JsonSerializer.Serialize(value)}}}""";
        var token = RawTokens.Sign("another-secret-key-that-is-long-enough-for-hs256", header, """{"mercure":{"publish":["*"]}}""");

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);

        AssertPrintable(await response.AssertRefusedAsync(HttpStatusCode.Unauthorized));
    }

    private static void AssertPrintable(string reason) =>
        Assert.True(!reason.Any(char.IsControl) && !reason.Contains('\u2028') && !reason.Contains('\u2029'), "control characters in: " + Fuzzing.Show(reason));

    /// <summary>
    /// An app publishing a string cut inside a surrogate pair (a truncated emoji) stored an update no UTF-8 wire can
    /// carry: subscribers silently got U+FFFD instead, and on SQLite, which stores UTF-8, retrying the very same
    /// publish answered 409 (the stored copy no longer equals it). Refused instead, naming the field. Found while
    /// reading the SSE fuzzer's UTF-8 round trip; HTTP forms cannot carry lone surrogates.
    /// </summary>
    [Theory]
    [InlineData("data", "cut emoji \\ud83d")]
    [InlineData("data", "\\udc00 leading low half")]
    [InlineData("data", "pair then half \\ud83d\\ude00\\ud83d")]
    [InlineData("id", "urn:x:\\ud800")]
    [InlineData("type", "t\\udfff")]
    [InlineData("topic", "https://example.com/\\ud800")]
    public async Task An_in_process_update_that_is_not_valid_Unicode_is_refused_naming_the_field(string field, string escaped)
    {
        // Escaped in the attribute: xUnit's serialization of theory data would turn a lone surrogate into U+FFFD.
        var value = System.Text.RegularExpressions.Regex.Unescape(escaped);
        Assert.Contains(value, c => char.IsSurrogate(c));
        await using var hub = await TestHub.StartAsync();
        var publisher = hub.Services.GetRequiredService<IHeraldPublisher>();
        var update = new Update
        {
            Topics = [field == "topic" ? value : Topic],
            Data = field == "data" ? value : "x",
            Id = field == "id" ? value : null,
            Type = field == "type" ? value : null,
        };

        var refused = await Assert.ThrowsAsync<HeraldPublishException>(() => publisher.PublishAsync(update).AsTask());

        Assert.Equal(400, refused.StatusCode);
        Assert.Contains($"\"{field}\"", refused.Message);
        Assert.Contains("surrogate", refused.Message);
        AssertPrintable(refused.Message);
    }

    [Fact]
    public async Task An_in_process_update_with_whole_surrogate_pairs_is_accepted()
    {
        await using var hub = await TestHub.StartAsync();
        var publisher = hub.Services.GetRequiredService<IHeraldPublisher>();

        var id = await publisher.PublishAsync(new Update { Topics = ["https://example.com/😀"], Data = "😀 𝄞", Type = "😀" });

        Assert.StartsWith("urn:uuid:", id);
    }
}
