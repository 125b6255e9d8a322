using BenchmarkDotNet.Attributes;
using Herald.Auth;
using Herald.Fanout;
using Herald.Protocol;

namespace Herald.Benchmarks;

/// <summary>Cost of deciding who an update's topics reach: single selectors, then the whole index.</summary>
[ShortRunJob]
[MemoryDiagnoser]
public class TopicMatchingBenchmarks
{
    private const string Topic = "https://example.com/books/7";
    private const string Template = "https://example.com/books/{id}";
    private const string TwoVariableTemplate = "https://example.com/users/{user}/books/{id}";
    private const string TwoVariableTopic = "https://example.com/users/kevin/books/7";

    private readonly TopicSelectorStore _store = new();
    private readonly List<Subscriber> _candidates = [];
    private readonly string[] _topics = [Topic];
    private TopicSelector _exact = null!;
    private TopicSelector _wildcard = null!;
    private TopicSelector _template = null!;
    private TopicSelector _twoVariables = null!;
    private SubscriberIndex _index = null!;

    [GlobalSetup]
    public void Setup()
    {
        _exact = _store.Get(Topic);
        _wildcard = _store.Get(TopicSelector.Wildcard);
        _template = _store.Get(Template);
        _twoVariables = _store.Get(TwoVariableTemplate);

        // 1,000 subscribers: 900 exact over 100 distinct topics, 100 templates over 20 distinct patterns, one of which matches.
        // The update reaches 10 exact subscribers and the 5 sharing the matching template.
        _index = new SubscriberIndex();
        for (var i = 0; i < 1000; i++)
        {
            var pattern = i % 10 == 0
                ? (i / 10 % 20 == 0 ? Template : $"https://example.com/shelf{i / 10 % 20}/{{id}}")
                : $"https://example.com/books/{i % 100}";
            _index.Add(new Subscriber([_store.Get(pattern)], HeraldClaims.Anonymous, 1000, 1 << 20, TimeProvider.System));
        }

        _index.CollectMatches(_topics, _candidates);
        if (_candidates.Count != 15)
        {
            throw new InvalidOperationException($"expected 15 candidates, got {_candidates.Count}");
        }
    }

    [Benchmark]
    public bool Exact() => _store.Matches(_exact, Topic);

    [Benchmark]
    public bool Wildcard() => _store.Matches(_wildcard, Topic);

    [Benchmark]
    public bool TemplateCold() => _template.Matches(Topic);

    /// <summary>Several expressions: the general state-set simulation rather than the one-expression pass.</summary>
    [Benchmark]
    public bool TemplateTwoVariables() => _twoVariables.Matches(TwoVariableTopic);

    [Benchmark]
    public bool TemplateCached() => _store.Matches(_template, Topic);

    /// <summary>Compiling a template (a subscriber's first use of a new selector).</summary>
    [Benchmark]
    public bool TemplateCompile() => new TopicSelector(Template).IsTemplate;

    [Benchmark]
    public int CollectMatches1000()
    {
        _index.CollectMatches(_topics, _candidates);
        return _candidates.Count;
    }
}
