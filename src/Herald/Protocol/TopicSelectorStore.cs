using System.Collections.Concurrent;

namespace Herald.Protocol;

/// <summary>
/// Compiles selectors once and shares them, so a selector used by many subscribers or JWTs is parsed once.
/// Match results are not cached: a template match costs less than hashing the (template, topic) pair would.
/// </summary>
internal sealed class TopicSelectorStore
{
    /// <summary>10,000 compiled selectors: far more than distinct selectors in a typical deployment.</summary>
    public const int DefaultSelectorCacheSize = 10_000;

    /// <summary>
    /// A full cache evicts 1/10 of its size: the O(size) sweep is amortized over that many inserts,
    /// and 90 % of the entries, the recently used first, stay compiled.
    /// </summary>
    private const int EvictionDivisor = 10;

    private readonly ConcurrentDictionary<string, Entry> _selectors = new(StringComparer.Ordinal);
    private readonly Lock _evictionLock = new();
    private readonly int _selectorCacheSize;

    // Own count: ConcurrentDictionary.Count takes every bucket lock.
    private int _count;

    public TopicSelectorStore(int selectorCacheSize = DefaultSelectorCacheSize)
    {
        _selectorCacheSize = selectorCacheSize;
    }

    public TopicSelector Get(string pattern)
    {
        if (_selectors.TryGetValue(pattern, out var entry))
        {
            // Read before writing: hot entries shared across cores stay in a clean cache line.
            if (!entry.Used)
            {
                entry.Used = true;
            }

            return entry.Selector;
        }

        if (Volatile.Read(ref _count) >= _selectorCacheSize)
        {
            Evict();
        }

        entry = new Entry(new TopicSelector(pattern));
        if (_selectors.TryAdd(pattern, entry))
        {
            Interlocked.Increment(ref _count);
            return entry.Selector;
        }

        // Lost a race: use the winner so that all callers share one instance.
        return _selectors.TryGetValue(pattern, out var winner) ? winner.Selector : entry.Selector;
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

    public bool Matches(TopicSelector selector, string topic) => selector.Matches(topic);

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

    /// <summary>
    /// Second chance (CLOCK without a hand): entries used since they were last passed keep their place once and lose
    /// their mark; the others go, until a tenth of the cache is free. A second pass covers a cache all marked.
    /// </summary>
    private void Evict()
    {
        lock (_evictionLock)
        {
            var target = Math.Max(1, _selectorCacheSize / EvictionDivisor);
            if (Volatile.Read(ref _count) < _selectorCacheSize)
            {
                return; // another thread just made room
            }

            var removed = 0;
            for (var pass = 0; pass < 2 && removed < target; pass++)
            {
                foreach (var (pattern, entry) in _selectors)
                {
                    if (removed >= target)
                    {
                        break;
                    }

                    if (entry.Used)
                    {
                        entry.Used = false;
                    }
                    else if (_selectors.TryRemove(pattern, out _))
                    {
                        Interlocked.Decrement(ref _count);
                        removed++;
                    }
                }
            }
        }
    }

    private sealed class Entry(TopicSelector selector)
    {
        public readonly TopicSelector Selector = selector;

        // Benign races: a lost mark only costs a recompile.
        public volatile bool Used;
    }
}
