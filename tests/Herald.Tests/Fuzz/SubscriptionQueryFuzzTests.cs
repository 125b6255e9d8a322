using System.Net.Http.Headers;
using System.Text.Json;
using CsCheck;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Fuzz;

/// <summary>
/// Random subscriptions through the real stream and poll endpoints, on a hub with history: topic selectors of every
/// shape and size (templates, broken templates, too many, too long), resume cursors real and forged (ids, earliest,
/// hub cursors of other generations and absurd positions) in the header or the query, odd poll timeouts. Answers are
/// 200, 400 or 503 with a reason, never 500, nothing is thrown out of an endpoint, and every cursor a poll answers
/// resumes.
/// </summary>
[Trait("Category", Fuzzing.Category)]
public sealed class SubscriptionQueryFuzzTests
{
    private static readonly Gen<string> Selectors = Gen.Frequency(
        (6, Gen.OneOf(Gen.Const("*"), Gen.Const("https://example.com/books/1"), Gen.Const("https://example.com/books/{id}"), Gen.Const("https://example.com/{+rest}"), Gen.Const("{/a*}{?b,c}"), Gen.Const("urn:x:{x}"))),
        (3, Fuzzing.HostileString),
        (1, Gen.OneOf(Gen.Const("{"), Gen.Const("}"), Gen.Const("{{}}"), Gen.Const("{a}{b}{c}{d}{e}{f}{g}{h}{i}"), Gen.Const("x{a}" + new string('y', 200) + "{b}"))),
        (1, Gen.Int[400, 2100].Select(n => "https://example.com/" + new string('a', n) + "{id}")),
        (1, Gen.Int[2000, 2100].Select(n => new string('t', n))));

    private static readonly Gen<string[]> SelectorLists = Gen.Frequency(
        (12, Selectors.Array[1, 6]),
        (1, Gen.Int[14, 20].Select(n => Enumerable.Range(0, n).Select(i => "https://example.com/{x}/" + i).ToArray())),
        (1, Gen.Int[999, 1001].Select(n => Enumerable.Range(0, n).Select(i => "t" + i).ToArray())),
        (1, Gen.Const(Array.Empty<string>())));

    private static readonly Gen<string?> Cursors = Gen.Frequency(
        (3, Gen.Const(default(string))),
        (2, Gen.OneOf(Gen.Const<string?>("earliest"), Gen.Const<string?>("urn:example:1"), Gen.Const<string?>("urn:example:private"), Gen.Const<string?>("unknown"))),
        (3, Gen.Select(
            Gen.Frequency((3, Gen.Const("GEN")), (1, Gen.String[Gen.Char["abcXYZ019-_.%"], 0, 70])),
            Gen.Frequency((3, Gen.Long[0, 20].Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))), (1, Gen.OneOf(Gen.Const("999999999999999999"), Gen.Const("9223372036854775807"), Gen.Const("-1"), Gen.Const(""), Gen.Const("1.5"), Gen.Const("0x10")))),
            (g, p) => (string?)("herald-cursor:" + g + "." + p))),
        (1, Fuzzing.HostileString.Select(s => (string?)s)));

    /// <summary>Zero, or not a number of seconds at all: a poll never waits here (an empty timeout would wait 25 s).</summary>
    private static readonly Gen<string> Timeouts = Gen.Frequency(
        (8, Gen.OneOf(Gen.Const("0"), Gen.Const("00"))),
        (1, Gen.OneOf(Gen.Const("abc"), Gen.Const("-1"), Gen.Const("1e3"), Gen.Const("99999999999"), Gen.Const("\u0663"), Gen.Const("+0"), Gen.Const(" 0"), Gen.Const("0x0"))));

    [Fact]
    public async Task Random_stream_and_poll_subscriptions_are_answered_and_never_throw()
    {
        var errors = new ErrorLog();
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true, services: errors.AddTo);
        await hub.PublishAsync("https://example.com/books/1", "public", id: "urn:example:1");
        await hub.PublishAsync("https://example.com/books/2", "secret", isPrivate: true, id: "urn:example:private");
        for (var i = 0; i < 5; i++)
        {
            await hub.PublishAsync("https://example.com/books/" + i, "update " + i);
        }

        var generation = await CurrentGenerationAsync(hub);
        var requests =
            from selectors in SelectorLists
            from cursor in Cursors
            from inHeader in Gen.Bool
            from poll in Gen.Frequency((2, Gen.Const(true)), (1, Gen.Const(false)))
            from timeout in Timeouts
            select (selectors, cursor: cursor?.Replace("herald-cursor:GEN.", "herald-cursor:" + generation + ".", StringComparison.Ordinal), inHeader, poll, timeout);

        await requests.SampleAsync(
            async r =>
            {
                var query = HubRequests.TopicQuery(r.selectors) + (r.poll ? "&timeout=" + Uri.EscapeDataString(r.timeout) : "");
                var headerSafe = r.cursor is not null && r.cursor.All(c => c is >= ' ' and < '\u007f');
                if (r.cursor is not null && !(r.inHeader && headerSafe))
                {
                    query += "&lastEventID=" + Uri.EscapeDataString(r.cursor);
                }

                var (status, body) = await GetAsync(hub, r.poll, query, r.inHeader && headerSafe ? r.cursor : null);
                Assert.True(status is 200 or 400 or 414 or 503, $"{status}: {body}");
                if (status != 200 && status != 414)
                {
                    Fuzzing.AssertPrintableLine(body);
                }

                if (status == 200 && r.poll)
                {
                    // Whatever was asked, the answer's cursor resumes.
                    var next = JsonDocument.Parse(body).RootElement.GetProperty("lastEventID").GetString()!;
                    var (again, againBody) = await GetAsync(hub, poll: true, HubRequests.TopicQuery(r.selectors) + "&timeout=0&lastEventID=" + Uri.EscapeDataString(next), null);
                    Assert.True(again == 200, $"{again} resuming from {next}: {againBody}");
                }
            },
            iter: Fuzzing.Iterations(1_000),
            threads: Fuzzing.HttpThreads,
            print: r => $"{(r.poll ? "poll timeout " + r.timeout : "stream")}, cursor {Fuzzing.Show(r.cursor)} ({(r.inHeader ? "header" : "query")}), selectors [{string.Join(", ", r.selectors.Take(8).Select(Fuzzing.Show))}{(r.selectors.Length > 8 ? ", …" : "")}]");

        errors.AssertEmpty();
    }

    private static async Task<string> CurrentGenerationAsync(TestHub hub)
    {
        var (_, body) = await GetAsync(hub, poll: true, "topic=*&timeout=0", null);
        var cursor = JsonDocument.Parse(body).RootElement.GetProperty("lastEventID").GetString()!;
        return cursor["herald-cursor:".Length..cursor.IndexOf('.', StringComparison.Ordinal)];
    }

    /// <summary>The status and body of a poll; of a stream, the status and its refusal, or the first bytes it sends.</summary>
    private static async Task<(int Status, string Body)> GetAsync(TestHub hub, bool poll, string query, string? lastEventId)
    {
        using var timeout = new CancellationTokenSource(SseStream.WaitLimit);
        using var request = new HttpRequestMessage(HttpMethod.Get, TestHub.HubPath + (poll ? "/poll" : "") + "?" + query);
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        using var response = await hub.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var status = (int)response.StatusCode;
        if (poll || status != 200)
        {
            return (status, await response.Content.ReadAsStringAsync(timeout.Token));
        }

        // A stream: its first bytes show the replay started; the rest never ends.
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer, timeout.Token);
        Assert.True(read > 0, "the stream ended at once");
        return (status, "");
    }
}
