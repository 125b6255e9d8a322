using System.Collections.Concurrent;

namespace Herald.Protocol;

/// <summary>
/// Compiles selectors once and caches template match results, so a template shared by many subscribers
/// costs one regex evaluation per distinct topic rather than one per subscriber and update.
/// </summary>
internal sealed class TopicSelectorStore
{
    /// <summary>10,000 compiled selectors: far more than distinct selectors in a typical deployment.</summary>
    public const int DefaultSelectorCacheSize = 10_000;

    /// <summary>100,000 (template, topic) results at ~100 B each keeps the cache near 10 MB.</summary>
    public const int DefaultMatchCacheSize = 100_000;

    private readonly ConcurrentDictionary<string, TopicSelector> _selectors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Pattern, string Topic), bool> _matches = new();
    private readonly int _selectorCacheSize;
    private readonly int _matchCacheSize;

    public TopicSelectorStore(int selectorCacheSize = DefaultSelectorCacheSize, int matchCacheSize = DefaultMatchCacheSize)
    {
        _selectorCacheSize = selectorCacheSize;
        _matchCacheSize = matchCacheSize;
    }

    public TopicSelector Get(string pattern)
    {
        if (_selectors.TryGetValue(pattern, out var selector))
        {
            return selector;
        }

        // Bounded by a coarse reset rather than LRU bookkeeping: recompiling is cheap next to unbounded growth.
        if (_selectors.Count >= _selectorCacheSize)
        {
            _selectors.Clear();
        }

        return _selectors.GetOrAdd(pattern, static p => new TopicSelector(p));
    }

    /// <summary>True when the selector matches at least one of the topics.</summary>
    public bool Matches(TopicSelector selector, IReadOnlyList<string> topics)
    {
        for (var i = 0; i < topics.Count; i++)
        {
            if (Matches(selector, topics[i]))
            {
                return true;
            }
        }

        return false;
    }

    public bool Matches(TopicSelector selector, string topic)
    {
        if (selector.IsWildcard || selector.Pattern == topic)
        {
            return true;
        }

        if (!selector.IsTemplate)
        {
            return false;
        }

        var key = (selector.Pattern, topic);
        if (_matches.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var result = selector.MatchesUncached(topic);
        if (_matches.Count >= _matchCacheSize)
        {
            _matches.Clear();
        }

        _matches[key] = result;
        return result;
    }

    /// <summary>True when any selector matches any topic.</summary>
    public bool AnyMatches(IReadOnlyList<TopicSelector> selectors, IReadOnlyList<string> topics)
    {
        for (var i = 0; i < selectors.Count; i++)
        {
            if (Matches(selectors[i], topics))
            {
                return true;
            }
        }

        return false;
    }
}
