using System.Net.ServerSentEvents;
using System.Text;
using CsCheck;
using Herald.Protocol;

namespace Herald.Tests.Fuzz;

/// <summary>
/// The SSE frame of any valid update, read back with the BCL's <see cref="SseParser"/>, is exactly one event with the
/// update's id, type, data and retry, and the frame holds no line but the fields the update set.
/// </summary>
[Trait("Category", Fuzzing.Category)]
public sealed class SseFrameFuzzTests
{
    /// <summary>Ids and types as the validator lets them through most of the time: no control or format character.</summary>
    private static readonly Gen<string> Field = Fuzzing.HostileString.Select(Fuzzing.FieldSafe);

    private static readonly Gen<Update> Updates =
        from data in Fuzzing.HostileString
        from id in Field.Select(i => i.TrimStart('#'))
        from type in Gen.Frequency((1, Gen.Const(default(string))), (4, Field.Select(t => (string?)t)), (1, Fuzzing.HostileString.Select(t => (string?)t)))
        from retry in Gen.Frequency(
            (4, Gen.Const(default(long?))),
            (4, Gen.Long[0, 100_000].Select(r => (long?)r)),
            (1, Gen.Long[0, int.MaxValue].Select(r => (long?)r)),
            (1, Gen.Long[0, 999_999_999_999_999_999].Select(r => (long?)r)))
        select new Update { Topics = ["t"], Id = id, Type = type, Data = data, Retry = retry };

    /// <summary>As the hub stores them: valid (the validator is what stands between a publisher and the frame).</summary>
    private static readonly Gen<Update> ValidUpdates = Updates.Where(u => UpdateValidator.Validate(u, 10, 100) is null);

    [Fact]
    public void Every_valid_update_parses_back_as_exactly_its_fields() =>
        ValidUpdates.Sample(AssertRoundTrip, iter: Fuzzing.Iterations(5_000), print: Print);

    [Theory]
    [InlineData("x", "a\u2028b", "\u0085type", 1L)]
    [InlineData(" leading space", "\uFEFFbom", " ", 0L)]
    [InlineData("id", "", "", null)]
    [InlineData("id", "data\r\n\r\nid: forged\rretry: 5\n", "t", 2_147_483_647L)]
    [InlineData("\\ud800lone", "\\udfffdata", "ty\\ud800pe", 7L)]
    public void Edge_cases_parse_back_as_exactly_their_fields(string id, string data, string type, long? retry) =>
        AssertRoundTrip(new Update { Topics = ["t"], Id = Unescape(id), Data = Unescape(data), Type = Unescape(type), Retry = retry });

    /// <summary>Lone surrogates are written escaped in the attributes: xUnit's serialization of theory data would turn them into U+FFFD.</summary>
    private static string Unescape(string value) => value.Contains("\\u", StringComparison.Ordinal) ? System.Text.RegularExpressions.Regex.Unescape(value) : value;

    private static void AssertRoundTrip(Update update)
    {
        var bytes = SseFrame.ForUpdate(1, update).Bytes.ToArray();
        var text = Encoding.UTF8.GetString(bytes);

        // The raw frame: only the fields the update set, each once (data once per line), and one blank line at the end.
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        var lines = text[..^2].Split('\n');
        Assert.All(lines, line => Assert.DoesNotContain('\r', line));
        var names = lines.Select(l => l[..Math.Max(0, l.IndexOf(':', StringComparison.Ordinal))]).ToList();
        Assert.All(names, n => Assert.Contains(n, (string[])["event", "retry", "id", "data"]));
        Assert.Equal(update.Retry is null ? 0 : 1, names.Count(n => n == "retry"));
        Assert.Equal(string.IsNullOrEmpty(update.Type) ? 0 : 1, names.Count(n => n == "event"));
        Assert.Equal(1, names.Count(n => n == "id"));

        // Parsed as a browser would: one event carrying exactly the update's fields, as UTF-8 can carry them.
        var items = SseParser.Create(new MemoryStream(bytes)).Enumerate().ToList();
        var item = Assert.Single(items);
        Assert.Equal(Normalize(update.Data), item.Data);
        Assert.Equal(Fuzzing.Utf8RoundTrip(update.Id!), item.EventId);
        Assert.Equal(string.IsNullOrEmpty(update.Type) ? "message" : Fuzzing.Utf8RoundTrip(update.Type), item.EventType);
        if (update.Retry is { } retry)
        {
            // SseParser drops a retry beyond TimeSpan's range; JavaScript timers overflow long before it.
            Assert.True(retry <= (long)TimeSpan.MaxValue.TotalMilliseconds, $"retry {retry} is beyond what an SSE client can wait");
            Assert.Equal(TimeSpan.FromMilliseconds(retry), item.ReconnectionInterval);
        }
        else
        {
            Assert.Null(item.ReconnectionInterval);
        }
    }

    private static string Print(Update u) =>
        $"id {Fuzzing.Show(u.Id)}, type {Fuzzing.Show(u.Type)}, retry {u.Retry?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, data {Fuzzing.Show(u.Data)}";

    /// <summary>SSE carries lines: CRLF, CR and LF all end one, and the data's lines come back joined by LF.</summary>
    private static string Normalize(string data) => Fuzzing.Utf8RoundTrip(data).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
}
