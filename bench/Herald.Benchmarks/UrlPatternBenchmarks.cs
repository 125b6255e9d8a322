using BenchmarkDotNet.Attributes;
using Herald.Protocol.UrlPatterns;
using Herald.Protocol.Urls;

namespace Herald.Benchmarks;

/// <summary>
/// Mercure 1.0 URL patterns: the cost of building one (tokenize, parse, canonicalize, compile eight NonBacktracking
/// regexes) and of matching one against a topic already parsed as a WHATWG URL, plus the parse itself.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class UrlPatternBenchmarks
{
    private const string Hub = "https://hub.example.com/.well-known/mercure";
    private const string Simple = "https://example.com/books/:id";
    private const string Rich = "http{s}?://{*.}?example.com/users/:user/books/:id(\\d+){/*}?";

    // The costliest the hub accepts: its pathname is at the weight limit (960 of 1,000).
    private const string Heaviest = "https://example.com/:x((?:(?:[ab]{8}){2}){60})";
    private const string Topic = "https://example.com/books/7";
    private const string RichTopic = "https://eu.example.com/users/kevin/books/42/reviews";

    private UrlPattern _simple = null!;
    private UrlPattern _rich = null!;
    private UrlPattern _heaviest = null!;
    private WhatwgUrl _topic = null!;
    private WhatwgUrl _richTopic = null!;
    private WhatwgUrl _longTopic = null!;

    [GlobalSetup]
    public void Setup()
    {
        _simple = UrlPattern.Create(Simple, Hub);
        _rich = UrlPattern.Create(Rich, Hub);
        _heaviest = UrlPattern.Create(Heaviest, Hub);
        _topic = WhatwgUrlParser.Parse(Topic)!;
        _richTopic = WhatwgUrlParser.Parse(RichTopic)!;
        _longTopic = WhatwgUrlParser.Parse("https://example.com/" + new string('a', 2000))!;
        if (!_simple.Test(_topic) || !_rich.Test(_richTopic) || _heaviest.Test(_longTopic))
        {
            throw new InvalidOperationException("unexpected match results");
        }
    }

    [Benchmark]
    public object BuildSimple() => UrlPattern.Create(Simple, Hub);

    [Benchmark]
    public object BuildRich() => UrlPattern.Create(Rich, Hub);

    [Benchmark]
    public object BuildHeaviest() => UrlPattern.Create(Heaviest, Hub);

    [Benchmark]
    public object? ParseTopic() => WhatwgUrlParser.Parse(Topic, Hub);

    [Benchmark]
    public bool MatchSimple() => _simple.Test(_topic);

    [Benchmark]
    public bool MatchRich() => _rich.Test(_richTopic);

    /// <summary>The heaviest pattern against a 2,020-character topic that it does not match.</summary>
    [Benchmark]
    public bool MatchHeaviestLongTopic() => _heaviest.Test(_longTopic);
}
