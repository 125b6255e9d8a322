using Herald.Protocol.UrlPatterns;
using Herald.Protocol.Urls;

namespace Herald.Protocol.Matchers;

/// <summary>The Mercure 1.0 matcher types (draft-08, "Matcher Types").</summary>
internal enum MatcherType
{
    /// <summary>Byte-for-byte equality, nothing resolved or normalized.</summary>
    Exact,

    /// <summary>A WHATWG URL pattern, relative patterns and topics resolved against the hub's URL, ignoreCase off.</summary>
    UrlPattern,
}

/// <summary>
/// One topic matcher of a subscription: <c>*</c> (every topic, whatever the type), an exact topic, or a compiled URL
/// pattern. Immutable; build it with <see cref="Create"/>, which throws <see cref="UrlPatternException"/> for a pattern
/// the hub refuses.
/// </summary>
internal sealed class TopicMatcher
{
    public const string Wildcard = "*";

    private readonly UrlPattern? _pattern;

    private TopicMatcher(MatcherType type, string value, UrlPattern? pattern)
    {
        Type = type;
        Value = value;
        _pattern = pattern;
    }

    public MatcherType Type { get; }

    /// <summary>The matcher as the subscriber sent it.</summary>
    public string Value { get; }

    public bool IsWildcard => Value == Wildcard;

    /// <summary>
    /// What one match costs per topic character, at most: the pattern's weight (its atoms times their repetition
    /// bounds, each component at most <see cref="UrlPatternComponent.MaxWeight"/>); 1 for exact matchers.
    /// </summary>
    public long WorkPerCharacter => _pattern?.Weight ?? 1;

    public static TopicMatcher Create(MatcherType type, string value, string hubUrl) =>
        value == Wildcard || type == MatcherType.Exact
            ? new(type, value, null)
            : new(type, value, UrlPattern.Create(value, hubUrl));

    /// <summary>
    /// Matches a topic. <paramref name="resolvedTopic"/> is the topic parsed against the hub's URL (null when it is not
    /// a URL): parse it once per update and share it across matchers. Adds the work bound of this match to
    /// <paramref name="work"/>, as <c>SubscriberIndex.LastMatchWork</c> counts template work.
    /// </summary>
    public bool Matches(string topic, WhatwgUrl? resolvedTopic, ref long work)
    {
        if (IsWildcard)
        {
            return true;
        }

        if (_pattern is null)
        {
            work += topic.Length;
            return topic == Value;
        }

        if (resolvedTopic is null)
        {
            return false;
        }

        work += _pattern.Weight * (HrefLength(resolvedTopic) + 1);
        return _pattern.Test(resolvedTopic);
    }

    [ThreadStatic]
    private static WhatwgUrl? t_lastUrl;

    [ThreadStatic]
    private static int t_lastHrefLength;

    /// <summary>
    /// The serialized URL's length, computed once for a URL tried on many patterns in a row (the dispatcher tries an
    /// update's topic on every pattern): serializing allocates, once per pattern it was most of dispatch's garbage.
    /// </summary>
    private static int HrefLength(WhatwgUrl url)
    {
        if (!ReferenceEquals(t_lastUrl, url))
        {
            t_lastHrefLength = url.Href.Length;
            t_lastUrl = url;
        }

        return t_lastHrefLength;
    }

    public bool Matches(string topic, string hubUrl)
    {
        long work = 0;
        return Matches(topic, _pattern is null ? null : WhatwgUrlParser.Parse(topic, hubUrl), ref work);
    }

    public override string ToString() => $"{Type}:{Value}";
}
