using CsCheck;

namespace Herald.Tests.Fuzz;

/// <summary>
/// Shared bounds and generators of the fuzz suite. Iterations are fixed so CI runs the whole suite in well under a
/// minute; <c>HERALD_FUZZ_SCALE=20</c> multiplies them for a deeper local run. A failure prints CsCheck's seed:
/// pass it as <c>seed:</c> to replay, then keep the shrunk input as an explicit regression case.
/// </summary>
internal static class Fuzzing
{
    public const string Category = "Fuzz";

    private static readonly int Scale = int.TryParse(Environment.GetEnvironmentVariable("HERALD_FUZZ_SCALE"), out var scale) && scale > 0 ? scale : 1;

    /// <summary>HTTP fuzzers share one hub on two cores with everything else: two requests in flight is plenty.</summary>
    public const int HttpThreads = 2;

    public static long Iterations(long ci) => ci * Scale;

    /// <summary>Characters that break parsers: controls, line breaks of every kind, separators, non-ASCII, astral, lone surrogates.</summary>
    public static readonly Gen<char> HostileChar = Gen.Frequency(
        (6, Gen.Char['a', 'z']),
        (3, Gen.Char["\r\n\0\t\v\f \u0085\u2028\u2029\u001b\u007f:;=&%+#?/{}[]\"'\\,.*@!$()<>|^`~-_"]),
        (2, Gen.Char['\u0000', '\u007f']),
        (2, Gen.Char['\u0080', '\uffff']),
        (1, Gen.Char["\ud800\udbff\udc00\udfff\ufeff\ufffd\ufffe\uffff"]));

    /// <summary>A string of hostile characters, mostly short, sometimes long.</summary>
    /// <summary>
    /// The value without what ids and types may not hold (control and format characters, lone surrogates, the Mercure
    /// 1.0 rule): the part of a hostile string a valid update can carry.
    /// </summary>
    public static string FieldSafe(string value) => new(value.Where(static c =>
        !char.IsControl(c) && !char.IsSurrogate(c) && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format).ToArray());

    public static readonly Gen<string> HostileString = Gen.Frequency(
        (8, Gen.String[HostileChar, 0, 24]),
        (1, Gen.String[HostileChar, 0, 400]),
        (1, Gen.Const("")));

    /// <summary>Valid Unicode text (no lone surrogates) with the same hostile mix, astral characters included.</summary>
    public static readonly Gen<string> HostileText = Gen.Frequency(
            (6, Gen.String[HostileChar, 0, 30]),
            (1, Gen.Const("😀 𝄞 \U0010FFFD")),
            (1, Gen.String[HostileChar, 0, 300]))
        .Select(s => Utf8RoundTrip(s));

    /// <summary>A refusal is one line a terminal or a log shows as it is: whatever the request held, no line break or control character.</summary>
    public static void AssertPrintableLine(string body)
    {
        var reason = body.EndsWith('\n') ? body[..^1] : body;
        Assert.False(string.IsNullOrWhiteSpace(reason), "a refusal without a reason");
        Assert.True(!reason.Any(char.IsControl) && !reason.Contains('\u2028') && !reason.Contains('\u2029'), "a refusal carrying control characters: " + Show(reason));
    }

    /// <summary>A value as a C# literal would spell it, so a failing input can be pasted into a regression case.</summary>
    public static string Show(string? value) => value is null ? "null" : "\"" + string.Concat(value.Select(c =>
        c is '"' or '\\' ? "\\" + c : c is >= ' ' and < '\u007f' ? c.ToString() : $"\\u{(int)c:x4}")) + "\"";

    /// <summary>What survives UTF-8: lone surrogates become U+FFFD, as on any UTF-8 wire.</summary>
    public static string Utf8RoundTrip(string value) => System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(value));
}
