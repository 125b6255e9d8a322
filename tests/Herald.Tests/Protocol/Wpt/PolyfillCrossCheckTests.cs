using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol.UrlPatterns;
using Xunit.Abstractions;

namespace Herald.Tests.Protocol.Wpt;

/// <summary>
/// Cross-checks the URL Pattern engine against the urlpattern-polyfill npm package (tests/urlpattern-crosscheck) on
/// seeded random patterns and URLs: constructor errors and test() results must agree, except for the disagreements
/// whose reasons are listed in <see cref="Explain"/> (and in tests/Herald.Tests/Protocol/Wpt/README.md).
/// </summary>
public class PolyfillCrossCheckTests(ITestOutputHelper output)
{
    private const string Hub = "https://hub.example.com/.well-known/mercure";

    // Each pattern piece with sample values that may (or may not) match it, so that many cases match.
    private static readonly (string Pattern, string[] Samples)[] Protocols =
        [("https", ["https"]), ("http", ["http"]), ("http{s}?", ["http", "https"]), ("*", ["https", "wss"]), ("(https|wss)", ["wss", "ws"]), ("ws", ["ws"])];

    private static readonly (string Pattern, string[] Samples)[] Hosts =
    [
        ("example.com", ["example.com", "EXAMPLE.COM"]), ("{*.}?example.com", ["example.com", "a.example.com"]), (":sub.example.com", ["a.example.com", "example.com"]),
        ("*.example.com", ["a.b.example.com"]), ("EXAMPLE.com", ["example.com"]), ("[\\:\\:1]", ["[::1]", "[0:0::1]"]), ("127.0.0.1", ["127.0.0.1", "0x7f.1", "2130706433"]),
        ("xn--caf-dma.com", ["café.com", "xn--caf-dma.com"]), ("café.com", ["café.com", "CAFÉ.com"]), ("*", ["example.com:8080", "hub.example.com"]), ("h%41st", ["h%41st"]),
    ];

    private static readonly (string Pattern, string[] Samples)[] Segments =
    [
        ("books", ["books", "Books"]), (":id", ["1", "42", ""]), ("*", ["a", "a/b", ""]), (":id(\\d+)", ["42", "x"]), ("{:opt}?", ["", "x"]),
        (":rest+", ["a/b", "a"]), ("(.*)", ["x/y"]), ("%7E", ["~", "%7E", "%7e"]), ("a b", ["a b", "a%20b"]), ("..", [".."]), (".", ["."]),
        ("caf\u00e9", ["caf\u00e9", "caf%C3%A9"]), (":x*", ["", "p/q"]), ("{a}?", ["a", ""]), ("(a|b)", ["a", "c"]), ("([a-c]+)", ["abc", "d"]),
        ("\\:x", [":x"]), ("x\\*", ["x*", "x"]),
    ];

    private static readonly (string Pattern, string[] Samples)[] Searches =
        [("", ["", "?q=1"]), ("", [""]), ("?*", ["?x"]), ("?q=*", ["?q=1", "?r=1"]), ("?:q", ["?x", "?x=1"]), ("?a=1&b=:b", ["?a=1&b=2"]), ("\\?x", [""])];

    private static readonly (string Pattern, string[] Samples)[] Hashes =
        [("", ["", "#top"]), ("", [""]), ("#*", ["#x"]), ("#top", ["#top", "#Top"]), ("#:h", ["#h", "#x y"])];

    private static readonly string[] UrlSegments = ["books", "1", "42", "a", "b%2Fc", "\u00e9", "..", ".", "x y", "%7e", "~", "a*b", "", "%2e%2E"];

    [Fact]
    public async Task The_engine_agrees_with_urlpattern_polyfill_on_random_patterns_and_urls()
    {
        var directory = FindCrossCheckDirectory();
        await EnsureInstalledAsync(directory);
        var random = new Random(20261201);
        var cases = new List<(string Pattern, string? Base, string Url)>();
        for (var p = 0; p < 400; p++)
        {
            var relative = random.Next(4) == 0;
            var protocol = Pick(random, Protocols);
            var host = Pick(random, Hosts);
            var segments = Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pick(random, Segments)).ToArray();
            var search = Pick(random, Searches);
            var hash = Pick(random, Hashes);
            var path = string.Concat(segments.Select(p => "/" + p.Pattern));
            var pattern = relative ? path + search.Pattern : protocol.Pattern + "://" + host.Pattern + path + search.Pattern + hash.Pattern;
            for (var u = 0; u < 8; u++)
            {
                var samplePath = string.Concat(segments.Select(p => "/" + Pick(random, p.Samples)));
                var url = u switch
                {
                    < 5 when relative => samplePath + Pick(random, search.Samples),
                    < 5 => Pick(random, protocol.Samples) + "://" + Pick(random, host.Samples) + samplePath + Pick(random, search.Samples) + Pick(random, hash.Samples),
                    5 => RandomUrlPath(random),
                    _ => Pick(random, ["https", "http", "wss", "HTTPS"]) + "://" + Pick(random, Pick(random, Hosts).Samples) + RandomUrlPath(random),
                };
                cases.Add((pattern, relative ? Hub : null, url));
            }
        }

        var theirs = await RunPolyfillAsync(directory, cases);
        var disagreements = new Dictionary<string, List<string>>();
        var unexplained = new List<string>();
        for (var i = 0; i < cases.Count; i++)
        {
            var (pattern, baseUrl, url) = cases[i];
            var ours = Ours(pattern, baseUrl, url);
            var their = theirs[i]["error"] is { } error ? "error: " + error.GetValue<string>() : "match: " + theirs[i]["match"]!.GetValue<bool>();
            if (ours.StartsWith("error", StringComparison.Ordinal) == their.StartsWith("error", StringComparison.Ordinal)
                && (ours.StartsWith("error", StringComparison.Ordinal) || ours == their))
            {
                continue;
            }

            var line = $"{pattern} {(baseUrl is null ? "" : "(base " + baseUrl + ") ")}{url}: ours {ours}, polyfill {their}";
            if (Explain(pattern, url, ours) is { } reason)
            {
                (disagreements.TryGetValue(reason, out var list) ? list : disagreements[reason] = []).Add(line);
            }
            else
            {
                unexplained.Add(line);
            }
        }

        var matched = theirs.Count(t => t["match"]?.GetValue<bool>() == true);
        var refused = theirs.Count(t => t["error"] is not null);
        output.WriteLine($"{cases.Count} cases, {cases.Select(c => c.Pattern).Distinct().Count()} patterns: {matched} matches, {refused} constructor errors (polyfill)");
        Assert.True(matched > cases.Count / 20, "too few matching cases to compare");
        foreach (var (reason, lines) in disagreements)
        {
            output.WriteLine($"{lines.Count} explained ({reason}), e.g. {lines[0]}");
        }

        Assert.True(unexplained.Count == 0, $"{unexplained.Count} unexplained disagreements:\n" + string.Join('\n', unexplained.Take(30)));
    }

    /// <summary>The reason a disagreement is the polyfill's (or a deliberate choice of ours), or null when unexplained.</summary>
    private static string? Explain(string pattern, string url, string ours)
    {
        if (pattern.Contains("h%41st", StringComparison.Ordinal))
        {
            return "the polyfill refuses '%' in a hostname pattern; the standard and WPT (\"bad%hostname\") accept it";
        }

        if (Herald.Protocol.Urls.WhatwgUrlParser.Parse(url, Hub) is { } parsed && parsed.Pathname.Contains("//", StringComparison.Ordinal))
        {
            // new URLPattern('http://example.com/{a}?/books').test('http://example.com//books') is false in the polyfill,
            // though new URL(…).pathname is "//books", which the pattern's expression ^/(?:a)?/books$ matches.
            return "the polyfill mismatches URLs whose pathname has an empty segment (\"//\"): it re-reads the pathname as a relative reference";
        }

        return null;
    }

    private static string Ours(string pattern, string? baseUrl, string url)
    {
        UrlPattern compiled;
        try
        {
            compiled = UrlPattern.Create(pattern, baseUrl);
        }
        catch (UrlPatternException e)
        {
            return "error: " + e.Message;
        }

        return "match: " + compiled.Test(url, baseUrl);
    }

    private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];

    private static string RandomUrlPath(Random random) =>
        string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => "/" + Pick(random, UrlSegments))) + Pick(random, ["", "?q=1", "?x", "?q='1'"]);

    private static async Task<JsonNode[]> RunPolyfillAsync(string directory, List<(string Pattern, string? Base, string Url)> cases)
    {
        var start = new ProcessStartInfo("node", "crosscheck.mjs")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        using var node = Process.Start(start)!;
        var reading = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        foreach (var (pattern, baseUrl, url) in cases)
        {
            await node.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { pattern, @base = baseUrl, url }));
        }

        node.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await node.WaitForExitAsync(timeout.Token);
        Assert.True(node.ExitCode == 0, await errors);
        var lines = (await reading).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(cases.Count, lines.Length);
        return [.. lines.Select(l => JsonNode.Parse(l)!)];
    }

    private static string FindCrossCheckDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "urlpattern-crosscheck");
            if (File.Exists(Path.Combine(candidate, "crosscheck.mjs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/urlpattern-crosscheck not found above " + AppContext.BaseDirectory);
    }

    /// <summary>npm ci once (a fresh clone has no node_modules; scripts/test.sh runs .NET before the JS client's npm ci).</summary>
    private static async Task EnsureInstalledAsync(string directory)
    {
        if (Directory.Exists(Path.Combine(directory, "node_modules", "urlpattern-polyfill")))
        {
            return;
        }

        using var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = npm.StandardError.ReadToEndAsync();
        _ = npm.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await npm.WaitForExitAsync(timeout.Token);
        Assert.True(npm.ExitCode == 0, "npm ci in tests/urlpattern-crosscheck failed: " + await stderr);
    }
}
