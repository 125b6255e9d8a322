using Herald.Protocol;

namespace Herald.Fanout;

/// <summary>
/// Finds the subscribers an update's topics match: exact selectors through a dictionary, <c>*</c> from one set,
/// templates by evaluating each distinct template once per update.
/// </summary>
internal sealed class SubscriberIndex
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<Subscriber>> _exact = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (TopicSelector Selector, HashSet<Subscriber> Subscribers)> _templates = new(StringComparer.Ordinal);
    private readonly HashSet<Subscriber> _wildcard = [];
    private readonly HashSet<Subscriber> _all = [];
    private readonly TopicSelectorStore _selectors;
    private long _sequence;

    /// <summary>Set once the hub is shutting down: every subscriber added later is closed at once with this.</summary>
    private (Func<SseFrame> Farewell, string Reason)? _closing;

    public SubscriberIndex(TopicSelectorStore selectors)
    {
        _selectors = selectors;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _all.Count;
            }
        }
    }

    /// <summary>
    /// Registers a subscriber for dispatch. Once <see cref="CloseAll"/> ran, the newcomer is still registered (its
    /// endpoint removes it as usual) but closed at once with the shutdown's farewell frame.
    /// </summary>
    public void Add(Subscriber subscriber)
    {
        (Func<SseFrame> Farewell, string Reason)? closing;
        lock (_lock)
        {
            closing = _closing;
            _all.Add(subscriber);
            foreach (var selector in subscriber.Selectors)
            {
                if (selector.IsWildcard)
                {
                    _wildcard.Add(subscriber);
                }
                else if (selector.IsTemplate)
                {
                    if (!_templates.TryGetValue(selector.Pattern, out var entry))
                    {
                        entry = (selector, []);
                        _templates[selector.Pattern] = entry;
                    }

                    entry.Subscribers.Add(subscriber);
                }
                else
                {
                    if (!_exact.TryGetValue(selector.Pattern, out var set))
                    {
                        _exact[selector.Pattern] = set = [];
                    }

                    set.Add(subscriber);
                }
            }
        }

        if (closing is { } c)
        {
            subscriber.Close(c.Farewell(), c.Reason);
        }
    }

    /// <summary>
    /// Closes every subscriber, each with its own frame from <paramref name="farewell"/> (written after what it has
    /// queued), and every subscriber added from now on, so a stream admitted just before shutdown but registered after
    /// this sweep is not left open until the host's timeout. Returns how many were open.
    /// </summary>
    public int CloseAll(Func<SseFrame> farewell, string reason)
    {
        List<Subscriber> open;
        lock (_lock)
        {
            _closing = (farewell, reason);
            open = [.. _all];
        }

        foreach (var subscriber in open)
        {
            subscriber.Close(farewell(), reason);
        }

        return open.Count;
    }

    public void Remove(Subscriber subscriber)
    {
        lock (_lock)
        {
            if (!_all.Remove(subscriber))
            {
                return;
            }

            foreach (var selector in subscriber.Selectors)
            {
                if (selector.IsWildcard)
                {
                    _wildcard.Remove(subscriber);
                }
                else if (selector.IsTemplate)
                {
                    if (_templates.TryGetValue(selector.Pattern, out var entry) && entry.Subscribers.Remove(subscriber) && entry.Subscribers.Count == 0)
                    {
                        _templates.Remove(selector.Pattern);
                    }
                }
                else if (_exact.TryGetValue(selector.Pattern, out var set) && set.Remove(subscriber) && set.Count == 0)
                {
                    _exact.Remove(selector.Pattern);
                }
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="candidates"/> (cleared first) with every subscriber that a selector of theirs matches
    /// one of the topics, each once. Reuses the caller's list so dispatch allocates nothing per subscriber.
    /// </summary>
    public void CollectMatches(IReadOnlyList<string> topics, List<Subscriber> candidates)
    {
        candidates.Clear();
        lock (_lock)
        {
            var sequence = ++_sequence;
            for (var i = 0; i < topics.Count; i++)
            {
                if (_exact.TryGetValue(topics[i], out var set))
                {
                    AddAll(set, sequence, candidates);
                }
            }

            AddAll(_wildcard, sequence, candidates);
            foreach (var (_, (selector, subscribers)) in _templates)
            {
                if (_selectors.Matches(selector, topics))
                {
                    AddAll(subscribers, sequence, candidates);
                }
            }
        }
    }

    /// <summary>Copies every subscriber into <paramref name="into"/> (cleared first), for periodic sweeps.</summary>
    public void Snapshot(List<Subscriber> into)
    {
        into.Clear();
        lock (_lock)
        {
            into.AddRange(_all);
        }
    }

    private static void AddAll(HashSet<Subscriber> subscribers, long sequence, List<Subscriber> candidates)
    {
        foreach (var subscriber in subscribers)
        {
            if (subscriber.LastDispatchSequence != sequence)
            {
                subscriber.LastDispatchSequence = sequence;
                candidates.Add(subscriber);
            }
        }
    }
}
