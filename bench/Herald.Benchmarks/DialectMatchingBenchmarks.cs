using BenchmarkDotNet.Attributes;
using Herald.Auth;
using Herald.Fanout;
using Herald.Protocol;
using Herald.Protocol.Matchers;

namespace Herald.Benchmarks;

/// <summary>
/// Routing one update when Mercure 1.0 subscriptions share the index with 0.x ones (docs/mercure-1.md): the same
/// 1,000 subscribers as <see cref="TopicMatchingBenchmarks"/>, their 100 template subscribers subscribed with URL
/// patterns instead (20 distinct, one matching), and a mix of both.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class DialectMatchingBenchmarks
{
    private const string Hub = "https://hub.example.com/.well-known/mercure";
    private const string Topic = "https://example.com/books/7";

    private readonly TopicSelectorStore _store = new();
    private readonly List<Subscriber> _candidates = [];
    private readonly string[] _topics = [Topic];
    private SubscriberIndex _patterns = null!;
    private SubscriberIndex _mixed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _patterns = Build(urlPatternsOnly: true);
        _mixed = Build(urlPatternsOnly: false);
    }

    [Benchmark]
    public int CollectMatches1000UrlPatterns()
    {
        _patterns.CollectMatches(_topics, _candidates);
        return _candidates.Count;
    }

    [Benchmark]
    public int CollectMatches1000Mixed()
    {
        _mixed.CollectMatches(_topics, _candidates);
        return _candidates.Count;
    }

    /// <summary>Building a URL pattern (what the compiled-pattern cache saves a reconnect).</summary>
    [Benchmark]
    public bool UrlPatternCompile() => TopicMatcher.Create(MatcherType.UrlPattern, "https://example.com/books/:id", Hub).WorkPerCharacter > 0;

    private SubscriberIndex Build(bool urlPatternsOnly)
    {
        var index = new SubscriberIndex();
        for (var i = 0; i < 1000; i++)
        {
            TopicSelector selector;
            if (i % 10 == 0 && (urlPatternsOnly || i % 20 == 0))
            {
                var pattern = i / 10 % 20 == 0 ? "https://example.com/books/:id" : $"https://example.com/shelf{i / 10 % 20}/:id";
                selector = TopicSelector.FromMatcher(TopicMatcher.Create(MatcherType.UrlPattern, pattern, Hub), Hub);
            }
            else if (i % 10 == 0)
            {
                selector = _store.Get(i / 10 % 20 == 0 ? "https://example.com/books/{id}" : $"https://example.com/shelf{i / 10 % 20}/{{id}}");
            }
            else
            {
                selector = TopicSelector.FromMatcher(TopicMatcher.Create(MatcherType.Exact, $"https://example.com/books/{i % 100}", Hub), Hub);
            }

            index.Add(new Subscriber([selector], HeraldClaims.Anonymous, 1000, 1 << 20, TimeProvider.System));
        }

        index.CollectMatches(_topics, _candidates);
        if (_candidates.Count != 15)
        {
            throw new InvalidOperationException($"expected 15 candidates, got {_candidates.Count}");
        }

        return index;
    }
}
