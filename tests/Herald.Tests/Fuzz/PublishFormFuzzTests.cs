using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CsCheck;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Fuzz;

/// <summary>
/// Random and adversarial publish forms through the real endpoint: sizes, encodings, invalid UTF-8 escapes, control
/// and non-ASCII characters, many fields, duplicate keys, odd content types, any chunking. Each is answered with a
/// one-line refusal or stored, never 500, never left hanging, and nothing is thrown out of the endpoint (the hub logs
/// no error). Valid updates, encoded any way a form can encode them, arrive exactly as sent.
/// </summary>
[Trait("Category", Fuzzing.Category)]
public sealed class PublishFormFuzzTests
{
    private const int BodyLimit = 16 * 1024;

    private static readonly int[] Allowed = [200, 400, 403, 409, 413, 415];

    private static readonly Gen<string> Topics = Gen.Frequency(
        (6, Gen.Int[0, 20].Select(n => "https://example.com/books/" + n)),
        (1, Gen.OneOf(Gen.Const("urn:x:é😀"), Gen.Const("https://example.com/.well-known/mercure"), Gen.Const("a%2F.well-known%2Fmercure"), Gen.Const("%"), Gen.Const(new string('t', 2049)))),
        (2, Fuzzing.HostileString));

    private static readonly Gen<string> Keys = Gen.Frequency(
        (40, Gen.OneOf(Gen.Const("topic"), Gen.Const("data"), Gen.Const("id"), Gen.Const("type"), Gen.Const("retry"), Gen.Const("private"))),
        (4, Gen.OneOf(Gen.Const("authorization"), Gen.Const("Topic"), Gen.Const("topic[]"), Gen.Const(""), Gen.Const("%74opic"), Gen.Const("to+pic"), Gen.Const("t%00"))),
        (1, Fuzzing.HostileString),
        (1, Gen.Const(new string('k', 65))));

    private static readonly Gen<string> Values = Gen.Frequency(
        (4, Topics),
        (4, Fuzzing.HostileString),
        (1, Gen.OneOf(Gen.Const("urn:uuid:x"), Gen.Const("earliest"), Gen.Const("herald-cursor:a.1"), Gen.Const("#x"), Gen.Const("on"))),
        (1, Gen.OneOf(Gen.Const("0"), Gen.Const("2147483648"), Gen.Const("99999999999999999999"), Gen.Const("-1"), Gen.Const("1e3"), Gen.Const("٣"))),
        (1, Gen.Int[0, BodyLimit + 100].Select(n => new string('v', n))));

    /// <summary>How a value goes on the wire: escaped in upper or lower hex, form style (+ for space), or raw (breaking the form's structure).</summary>
    private static readonly Gen<Func<string, string>> Encodings = Gen.OneOf(
        Gen.Const<Func<string, string>>(Uri.EscapeDataString),
        Gen.Const<Func<string, string>>(v => Uri.EscapeDataString(v).ToLowerInvariant()),
        Gen.Const<Func<string, string>>(WebUtility.UrlEncode),
        Gen.Const<Func<string, string>>(v => v));

    /// <summary>Escapes that decode to invalid UTF-8 (truncated, overlong, surrogates, stray continuation bytes) or are no escapes at all.</summary>
    private static readonly Gen<string> BrokenEscapes = Gen.OneOf(
        Gen.Const("%C3%28"), Gen.Const("%FF"), Gen.Const("%ED%A0%80"), Gen.Const("%C0%AF"), Gen.Const("%E2%82"), Gen.Const("%80"),
        Gen.Const("%"), Gen.Const("%G1"), Gen.Const("%%"), Gen.Const("%4"), Gen.Const("%F4%90%80%80"), Gen.Const("%u0041"), Gen.Const("%00"));

    private static readonly Gen<string> Field =
        from key in Keys
        from value in Values
        from encode in Encodings
        from broken in Gen.Frequency((5, Gen.Const("")), (1, BrokenEscapes))
        from shape in Gen.Frequency((12, Gen.Const(0)), (1, Gen.Int[1, 3]))
        select shape switch
        {
            1 => encode(key), // no '='
            2 => "=" + encode(value),
            3 => encode(key) + "==" + encode(value),
            _ => encode(key) + "=" + encode(value) + broken,
        };

    /// <summary>A form body: a few fields, or very many (over the value count limit), joined oddly at times, with raw invalid bytes.</summary>
    private static readonly Gen<byte[]> Bodies =
        from fields in Gen.Frequency((12, Field.Array[0, 12]), (1, Gen.Int[990, 1100].Select(n => Enumerable.Range(0, n).Select(i => "topic=t" + i).ToArray())))
        from separator in Gen.Frequency((12, Gen.Const("&")), (1, Gen.OneOf(Gen.Const("&&"), Gen.Const(";"), Gen.Const("&\r\n"))))
        from raw in Gen.Frequency((8, Gen.Const(Array.Empty<byte>())), (1, Gen.OneOf(Gen.Const(new byte[] { 0xFF }), Gen.Const(new byte[] { 0xC3, 0x28 }), Gen.Const(new byte[] { 0xED, 0xA0, 0x80 }), Gen.Const(new byte[] { 0 }))))
        from at in Gen.Int[0, 1000]
        select Splice(Encoding.UTF8.GetBytes(string.Join(separator, fields)), raw, at);

    private static readonly Gen<string?> ContentTypes = Gen.Frequency(
        (12, Gen.Const<string?>("application/x-www-form-urlencoded")),
        (2, Gen.OneOf<string?>(
            "application/x-www-form-urlencoded; charset=utf-8", "APPLICATION/X-WWW-FORM-URLENCODED", "application/x-www-form-urlencoded; charset=latin1",
            "application/x-www-form-urlencoded; charset=utf-16", "application/x-www-form-urlencoded; charset=utf-7", "application/x-www-form-urlencoded; charset=bogus",
            "application/x-www-form-urlencoded;;", "application/x-www-form-urlencoded; charset=\"utf-8", "application/x-www-form-urlencoded; boundary=x")),
        (1, Gen.OneOf<string?>(null, "text/plain", "multipart/form-data; boundary=x", "application/json", "", "x/y/z", "application/x-www-form-urlencoded, text/plain")));

    /// <summary>0: Content-Length; 1: chunked by HttpClient; 2..: chunks of that many bytes over a bare socket.</summary>
    private static readonly Gen<int> Transports = Gen.Frequency((6, Gen.Const(0)), (3, Gen.Const(1)), (2, Gen.Int[2, 64]));

    [Fact]
    public async Task Random_forms_get_a_one_line_refusal_or_are_stored_and_never_throw()
    {
        var errors = new ErrorLog();
        await using var hub = await TestHub.StartAsync(o => o.MaxRequestBodySize = BodyLimit, services: errors.AddTo);
        // Half the publishers may publish anywhere, half only to books: their refusals name the topic they were refused.
        string[] tokens = [hub.PublisherToken(), hub.PublisherToken("https://example.com/books/{id}")];

        await Gen.Select(Bodies, ContentTypes, Transports, Gen.Int[0, 1]).SampleAsync(
            async (body, contentType, transport, publisher) =>
            {
                var (status, reason) = await SendAsync(hub, tokens[publisher], body, contentType, transport);
                Assert.True(Allowed.Contains(status), $"{status}: {reason}");
                if (status != 200)
                {
                    Fuzzing.AssertPrintableLine(reason);
                }
            },
            iter: Fuzzing.Iterations(1_200),
            threads: Fuzzing.HttpThreads,
            print: c => $"{c.Item2 ?? "(no content type)"} via {c.Item3}, publisher {c.Item4}: {Fuzzing.Show(Encoding.Latin1.GetString(c.Item1.AsSpan(0, Math.Min(c.Item1.Length, 600))))}");

        errors.AssertEmpty();
        Assert.Equal(HttpStatusCode.OK, (await hub.PostAsync([new("topic", "https://example.com/after"), new("data", "still serving")])).StatusCode);
    }

    /// <summary>One valid update: the fields, and how each character of each value is put on the wire.</summary>
    private sealed record Valid(string Topic, string Data, string? Type, long? Retry, bool Private, string[] Extra, int[] Choices, int Transport);

    private static readonly Gen<Valid> ValidUpdates =
        from topic in Gen.Int[0, 5].Select(n => "https://example.com/books/" + n + "/é")
        from data in Fuzzing.HostileText
        from type in Gen.Frequency((2, Gen.Const(default(string))), (1, Fuzzing.HostileText.Select(t => (string?)Fuzzing.FieldSafe(t))))
        from retry in Gen.Frequency((3, Gen.Const(default(long?))), (1, Gen.Long[0, int.MaxValue].Select(r => (long?)r)))
        from isPrivate in Gen.Bool
        from extra in Gen.OneOf(Gen.Const("x"), Gen.Const("authorization"), Gen.Const("topic[]"), Gen.Const("Data")).Array[0, 3]
        from choices in Gen.Int[0, 3].Array[64]
        from transport in Transports
        select new Valid(topic, data, type, retry, isPrivate, extra, choices, transport);

    [Fact]
    public async Task Valid_updates_in_any_encoding_and_chunking_arrive_exactly_as_sent()
    {
        var errors = new ErrorLog();
        await using var hub = await TestHub.StartAsync(o => o.MaxRequestBodySize = BodyLimit, services: errors.AddTo);
        await using var watcher = await hub.SubscribeAsync(["*"], hub.SubscriberToken("*"));
        var token = hub.PublisherToken();

        // One at a time: each answer's event is the next one on the stream.
        await ValidUpdates.SampleAsync(
            async update =>
            {
                var (status, body) = await SendAsync(hub, token, Encode(update), "application/x-www-form-urlencoded", update.Transport);
                Assert.True(status == 200, $"{status}: {body}");
                var item = await watcher.NextAsync();
                Assert.Equal(body, item.EventId);
                Assert.Equal(update.Data.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n'), item.Data);
                Assert.Equal(string.IsNullOrEmpty(update.Type) ? "message" : update.Type, item.EventType);
                Assert.Equal(update.Retry is { } r ? TimeSpan.FromMilliseconds(r) : null, item.ReconnectionInterval);
            },
            iter: Fuzzing.Iterations(500),
            threads: 1,
            print: u => $"data {Fuzzing.Show(u.Data)}, type {Fuzzing.Show(u.Type)}, retry {u.Retry}, private {u.Private}, via {u.Transport}: {Encoding.ASCII.GetString(Encode(u))}");

        errors.AssertEmpty();
    }

    /// <summary>Every character encoded by its own choice: as is when that keeps the form intact, %XX in either case, or + for a space; NUL raw.</summary>
    private static byte[] Encode(Valid update)
    {
        var fields = new List<(string Key, string Value)> { ("topic", update.Topic), ("data", update.Data) };
        if (update.Type is not null)
        {
            fields.Add(("type", update.Type));
        }

        if (update.Retry is { } retry)
        {
            fields.Add(("retry", retry.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (update.Private)
        {
            fields.Add(("private", ""));
        }

        fields.AddRange(update.Extra.Select(e => (e, "ignored")));
        var text = new StringBuilder();
        var n = 0;
        foreach (var (key, value) in fields)
        {
            text.Append(text.Length == 0 ? "" : "&").Append(key).Append('=');
            foreach (var rune in value.EnumerateRunes())
            {
                var choice = update.Choices[n++ % update.Choices.Length];
                var s = rune.ToString();
                if (rune.Value == 0)
                {
                    text.Append('\0'); // raw: the form reader refuses %00 (FuzzFindingsTests)
                }
                else if (rune.Value == ' ' && choice == 3)
                {
                    text.Append('+');
                }
                else if (choice == 0 && rune.IsAscii && !"&=+%".Contains((char)rune.Value, StringComparison.Ordinal))
                {
                    text.Append(s);
                }
                else if (choice == 1 && !rune.IsAscii)
                {
                    text.Append(s); // raw UTF-8 in the body
                }
                else
                {
                    var escaped = string.Concat(Encoding.UTF8.GetBytes(s).Select(b => $"%{b:X2}"));
                    text.Append(choice == 2 ? escaped.ToLowerInvariant() : escaped);
                }
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task<(int Status, string Body)> SendAsync(TestHub hub, string token, byte[] body, string? contentType, int transport)
    {
        if (transport >= 2)
        {
            var head = $"POST {TestHub.HubPath} HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\nAuthorization: Bearer {token}\r\n"
                + (contentType is null ? "" : $"Content-Type: {contentType}\r\n")
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
            var answer = await RawHttp.SendAsync(hub, Encoding.Latin1.GetBytes(head), RawHttp.Chunked(body, transport));
            return (answer.Status, answer.Body);
        }

        HttpContent content = transport == 1 ? new UnknownLengthContent(body) : new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var timeout = new CancellationTokenSource(SseStream.WaitLimit);
        using var request = new HttpRequestMessage(HttpMethod.Post, TestHub.HubPath) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await hub.Client.SendAsync(request, timeout.Token);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
    }

    private static byte[] Splice(byte[] body, byte[] raw, int at)
    {
        if (raw.Length == 0)
        {
            return body;
        }

        var position = at % (body.Length + 1);
        return [.. body.AsSpan(0, position), .. raw, .. body.AsSpan(position)];
    }

    /// <summary>A body whose length is not announced, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
