using Herald.Protocol;

namespace Herald.Fanout;

/// <summary>
/// Finds the subscribers an update's topics match: exact selectors through a dictionary, <c>*</c> from one set,
/// templates through a trie of their literal prefixes, so a template is tried only on topics that start with its
/// prefix. Templates are matched outside the lock that subscriptions take to register, so costly matching never
/// makes a newcomer wait; the work done is counted (<see cref="LastMatchWork"/>).
/// </summary>
internal sealed class SubscriberIndex
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<Subscriber>> _exact = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TemplateEntry> _templates = new(StringComparer.Ordinal);
    private readonly PrefixNode _prefixes = new(null, '\0');
    private readonly HashSet<Subscriber> _wildcard = [];
    private readonly HashSet<Subscriber> _all = [];

    // Scratch lists of the single dispatcher thread, reused so dispatch allocates nothing per update.
    private readonly List<TemplateEntry> _tried = [];
    private readonly List<TemplateEntry> _matched = [];
    private readonly Dictionary<(string Topic, string HubUrl), Protocol.Urls.WhatwgUrl?> _resolved = [];
    private long _sequence;

    /// <summary>Set once the hub is shutting down: every subscriber added later is closed at once with this.</summary>
    private (Func<SseFrame> Farewell, string Reason)? _closing;

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

    /// <summary>Distinct templates subscribed to right now.</summary>
    public int TemplateCount
    {
        get
        {
            lock (_lock)
            {
                return _templates.Count;
            }
        }
    }

    /// <summary>
    /// Template work of the last <see cref="CollectMatches"/>: characters compared and matcher states visited, summed
    /// over the templates tried. What hostile templates could inflate, bounded by the template limits.
    /// </summary>
    public long LastMatchWork { get; private set; }

    /// <summary>Templates tried by the last <see cref="CollectMatches"/> (those whose literal prefix starts a topic).</summary>
    public int LastTemplatesTried { get; private set; }

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
                    if (!_templates.TryGetValue(selector.IndexKey, out var entry))
                    {
                        entry = new TemplateEntry(selector);
                        _templates[selector.IndexKey] = entry;
                        _prefixes.Insert(entry);
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
                    if (_templates.TryGetValue(selector.IndexKey, out var entry) && entry.Subscribers.Remove(subscriber) && entry.Subscribers.Count == 0)
                    {
                        _templates.Remove(selector.IndexKey);
                        _prefixes.Remove(entry);
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
    /// one of the topics, each once. Reuses the caller's list so dispatch allocates nothing per subscriber. One caller
    /// at a time: the node's dispatcher.
    /// </summary>
    public void CollectMatches(IReadOnlyList<string> topics, List<Subscriber> candidates)
    {
        candidates.Clear();
        _tried.Clear();
        _matched.Clear();
        long sequence;
        lock (_lock)
        {
            sequence = ++_sequence;
            for (var i = 0; i < topics.Count; i++)
            {
                if (_exact.TryGetValue(topics[i], out var set))
                {
                    AddAll(set, sequence, candidates);
                }

                // Only templates whose literal prefix the topic starts with can match it: a walk of at most the topic's length.
                _prefixes.CollectAlong(topics[i], sequence, _tried);
            }

            AddAll(_wildcard, sequence, candidates);
        }

        // The costly part, outside the lock: a template is immutable, and an entry removed meanwhile just has no subscribers.
        long work = 0;
        _resolved.Clear();
        foreach (var entry in _tried)
        {
            for (var i = 0; i < topics.Count; i++)
            {
                var selector = entry.Selector;
                if (selector.IsUrlPattern ? selector.MatchesResolved(topics[i], Resolve(topics[i], selector), ref work) : selector.Matches(topics[i], ref work))
                {
                    _matched.Add(entry);
                    break;
                }
            }
        }

        LastMatchWork = work;
        LastTemplatesTried = _tried.Count;
        if (_matched.Count == 0)
        {
            return;
        }

        lock (_lock)
        {
            foreach (var entry in _matched)
            {
                AddAll(entry.Subscribers, sequence, candidates);
            }
        }
    }

    /// <summary>
    /// A topic parsed against a hub URL, once per update for every URL pattern subscribed at that URL (a parse costs
    /// more than most pattern tests). A handful of distinct hub URLs in practice: one per host name the hub is reached by.
    /// </summary>
    private Protocol.Urls.WhatwgUrl? Resolve(string topic, TopicSelector pattern)
    {
        if (!_resolved.TryGetValue((topic, pattern.HubUrl!), out var url))
        {
            url = pattern.ParsedHubUrl is { } hub ? Protocol.Urls.WhatwgUrlParser.Parse(topic, hub) : null;
            _resolved[(topic, pattern.HubUrl!)] = url;
        }

        return url;
    }

    /// <summary>
    /// Fills <paramref name="into"/> (cleared first) with the subscribers that asked for exactly this topic: for the
    /// hub's own reserved topics, which only those who name them receive. Safe beside the dispatcher.
    /// </summary>
    public void CollectExact(string topic, List<Subscriber> into)
    {
        into.Clear();
        lock (_lock)
        {
            if (_exact.TryGetValue(topic, out var set))
            {
                into.AddRange(set);
            }
        }
    }

    /// <summary>
    /// The <paramref name="count"/> selectors (exact topics and templates) with the most subscribers, most first: for the
    /// stats report, every few seconds (one pass over the distinct selectors, no per-update cost).
    /// </summary>
    public List<(string Selector, int Subscribers)> TopSelectors(int count)
    {
        lock (_lock)
        {
            return _exact.Select(static e => (e.Key, e.Value.Count))
                .Concat(_templates.Select(static e => (e.Value.Selector.ToString(), e.Value.Subscribers.Count)))
                .Append((TopicSelector.Wildcard, _wildcard.Count))
                .Where(static e => e.Item2 > 0)
                .OrderByDescending(static e => e.Item2)
                .ThenBy(static e => e.Item1, StringComparer.Ordinal)
                .Take(count)
                .ToList();
        }
    }

    /// <summary>
    /// True when a subscriber asked for <paramref name="topic"/> by name or by a template that matches it; <c>*</c>
    /// does not count (see <see cref="Herald.Bridges.ITopicInterest"/>). Safe beside the dispatcher; templates are
    /// matched outside the lock, only those whose literal prefix starts the topic.
    /// </summary>
    public bool HasSubscribersNaming(string topic)
    {
        List<TopicSelector>? templates = null;
        lock (_lock)
        {
            if (_exact.TryGetValue(topic, out var set) && set.Count > 0)
            {
                return true;
            }

            foreach (var entry in _templates.Values)
            {
                if (entry.Subscribers.Count > 0 && topic.StartsWith(entry.Selector.LiteralPrefix, StringComparison.Ordinal))
                {
                    (templates ??= []).Add(entry.Selector);
                }
            }
        }

        return templates is not null && templates.Exists(t => t.Matches(topic));
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

    /// <summary>A distinct template and who subscribed with it.</summary>
    private sealed class TemplateEntry(TopicSelector selector)
    {
        public TopicSelector Selector { get; } = selector;

        public HashSet<Subscriber> Subscribers { get; } = [];

        /// <summary>Dispatch sequence it was last collected for; dedupes a template reached by several topics.</summary>
        public long LastCollected { get; set; }
    }

    /// <summary>A trie of literal prefixes, one character per level; each node holds the templates whose prefix ends there.</summary>
    private sealed class PrefixNode(PrefixNode? parent, char key)
    {
        private readonly PrefixNode? _parent = parent;
        private readonly char _key = key;
        private Dictionary<char, PrefixNode>? _children;
        private List<TemplateEntry>? _entries;

        public void Insert(TemplateEntry entry)
        {
            var node = this;
            foreach (var c in entry.Selector.LiteralPrefix)
            {
                node._children ??= [];
                if (!node._children.TryGetValue(c, out var child))
                {
                    node._children[c] = child = new PrefixNode(node, c);
                }

                node = child;
            }

            (node._entries ??= []).Add(entry);
        }

        public void Remove(TemplateEntry entry)
        {
            var node = this;
            foreach (var c in entry.Selector.LiteralPrefix)
            {
                if (node._children is null || !node._children.TryGetValue(c, out node))
                {
                    return;
                }
            }

            node._entries?.Remove(entry);

            // Prune the branch that now leads nowhere, so churn of distinct prefixes does not grow the trie.
            while (node._parent is { } up && node._entries is not { Count: > 0 } && node._children is not { Count: > 0 })
            {
                up._children!.Remove(node._key);
                node = up;
            }
        }

        public void CollectAlong(string topic, long sequence, List<TemplateEntry> into)
        {
            var node = this;
            var i = 0;
            while (true)
            {
                if (node._entries is { } entries)
                {
                    foreach (var entry in entries)
                    {
                        if (entry.LastCollected != sequence)
                        {
                            entry.LastCollected = sequence;
                            into.Add(entry);
                        }
                    }
                }

                if (i == topic.Length || node._children is null || !node._children.TryGetValue(topic[i++], out var next))
                {
                    return;
                }

                node = next;
            }
        }
    }
}
