using System.Text.Json;
using Herald.Protocol.Matchers;
using Herald.Protocol.Urls;

namespace Herald.Auth;

/// <summary>
/// A 1.0 access token's <c>authorization_details</c>, compiled once when the token is verified (and kept with its
/// claims in the validated-token cache): exact topics in hash sets, URL patterns compiled, <c>*</c> a flag, so the
/// dispatcher's per-update <see cref="AllowsSubscribe"/> is a lookup for exact grants. Built by <see cref="AuthorizationDetails"/>.
/// </summary>
internal sealed class AccessGrants
{
    public static readonly AccessGrants None = new(MatcherSet.Empty, MatcherSet.Empty, [], HubNamespace.DefaultHubUrl);

    private readonly MatcherSet _publish;
    private readonly MatcherSet _subscribe;
    private readonly IReadOnlyList<(MatcherSet Topics, JsonElement? Payload)> _subscribeDetails;
    private readonly string _hubUrl;

    public AccessGrants(MatcherSet publish, MatcherSet subscribe, IReadOnlyList<(MatcherSet Topics, JsonElement? Payload)> subscribeDetails, string hubUrl)
    {
        _publish = publish;
        _subscribe = subscribe;
        _subscribeDetails = subscribeDetails;
        _hubUrl = hubUrl;
    }

    public bool CanPublish => !_publish.IsEmpty;

    public bool CanSubscribe => !_subscribe.IsEmpty;

    public bool AllowsPublish(string topic) => _publish.Matches(topic, _hubUrl);

    /// <summary>True when one of the topics is granted <c>subscribe</c> (a private update's topics).</summary>
    public bool AllowsSubscribe(IReadOnlyList<string> topics)
    {
        foreach (var topic in topics)
        {
            if (_subscribe.Matches(topic, _hubUrl))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The payload of the first subscribe detail whose topics match <paramref name="matcher"/> read as a topic.</summary>
    public JsonElement? PayloadFor(string matcher)
    {
        foreach (var (topics, payload) in _subscribeDetails)
        {
            if (topics.Matches(matcher, _hubUrl))
            {
                return payload;
            }
        }

        return null;
    }
}

/// <summary>The topic matchers of one action (or one detail): <c>*</c>, exact topics, compiled URL patterns.</summary>
internal sealed class MatcherSet
{
    public static readonly MatcherSet Empty = new(false, [], []);

    private readonly bool _wildcard;
    private readonly HashSet<string> _exact;
    private readonly TopicMatcher[] _patterns;

    public MatcherSet(bool wildcard, HashSet<string> exact, TopicMatcher[] patterns)
    {
        _wildcard = wildcard;
        _exact = exact;
        _patterns = patterns;
    }

    public bool IsEmpty => !_wildcard && _exact.Count == 0 && _patterns.Length == 0;

    public bool Matches(string topic, string hubUrl)
    {
        if (_wildcard || _exact.Contains(topic))
        {
            return true;
        }

        if (_patterns.Length == 0)
        {
            return false;
        }

        // Parsed once for all the patterns; a topic that is not a URL matches no pattern.
        var resolved = WhatwgUrlParser.Parse(topic, hubUrl);
        if (resolved is null)
        {
            return false;
        }

        long work = 0;
        foreach (var pattern in _patterns)
        {
            if (pattern.Matches(topic, resolved, ref work))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Accumulates matchers, then freezes them.</summary>
    public sealed class Builder
    {
        private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
        private readonly List<TopicMatcher> _patterns = [];
        private bool _wildcard;

        public void Add(TopicMatcher matcher)
        {
            if (matcher.IsWildcard)
            {
                _wildcard = true;
            }
            else if (matcher.Type == MatcherType.Exact)
            {
                _exact.Add(matcher.Value);
            }
            else if (!_patterns.Any(p => p.Value == matcher.Value))
            {
                _patterns.Add(matcher);
            }
        }

        public MatcherSet Build() => new(_wildcard, _exact, [.. _patterns]);
    }
}
