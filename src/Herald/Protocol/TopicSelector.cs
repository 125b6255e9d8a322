namespace Herald.Protocol;

/// <summary>
/// A topic selector as Mercure 0.x defines it: <c>*</c> matches every topic, a string equal to the topic matches it,
/// and a selector containing <c>{</c> that parses as an RFC 6570 template matches every topic it could expand to.
/// A Mercure 1.0 matcher (<see cref="FromMatcher"/>) is one too, so both dialects share one index and one dispatcher:
/// its <c>*</c> and exact matchers are the same as 0.x ones (an exact matcher containing <c>{</c> stays exact), and a
/// URL pattern is matched against the topic resolved against the hub URL it was subscribed at.
/// </summary>
internal sealed class TopicSelector
{
    public const string Wildcard = "*";

    private TopicSelector[]? _alone;

    /// <summary>
    /// This selector as a subscription's whole list, one array shared by every subscription of this selector alone (the
    /// common case; each would otherwise keep its own). Never written to.
    /// </summary>
    public TopicSelector[] Alone => _alone ??= [this];

    private readonly UriTemplateMatcher? _template;
    private readonly Matchers.TopicMatcher? _urlPattern;

    internal TopicSelector(string pattern)
    {
        Pattern = pattern;
        IsWildcard = pattern == Wildcard;
        if (!IsWildcard && pattern.Contains('{'))
        {
            _template = UriTemplateMatcher.TryCompile(pattern);
        }
    }

    private TopicSelector(Matchers.TopicMatcher matcher, string hubUrl)
    {
        Pattern = matcher.Value;
        IsWildcard = matcher.IsWildcard;
        MatcherType = matcher.Type;
        if (!IsWildcard && matcher.Type == Matchers.MatcherType.UrlPattern)
        {
            _urlPattern = matcher;
            HubUrl = hubUrl;
            ParsedHubUrl = Urls.WhatwgUrlParser.Parse(hubUrl);
        }
    }

    /// <summary><see cref="HubUrl"/> parsed once, so resolving an update's topic does not parse the base again.</summary>
    public Urls.WhatwgUrl? ParsedHubUrl { get; }

    public string Pattern { get; }

    /// <summary>The Mercure 1.0 matcher type; null for a 0.x selector (a <c>topic</c> parameter).</summary>
    public Matchers.MatcherType? MatcherType { get; }

    /// <summary>True for a Mercure 1.0 URL pattern: matched against the topic resolved against <see cref="HubUrl"/>.</summary>
    public bool IsUrlPattern => _urlPattern is not null;

    /// <summary>The base of a URL pattern and of the topics it is matched against; null otherwise.</summary>
    public string? HubUrl { get; }

    /// <summary>URL pattern work per character of the resolved topic (its weight); 0 for other selectors.</summary>
    public long PatternWorkPerCharacter => _urlPattern?.WorkPerCharacter ?? 0;

    /// <summary>
    /// The selector's key among the index's templates: its pattern, or for a URL pattern its type, base and pattern
    /// (the same text can be a 0.x template and a URL pattern, and a relative pattern means something else per base).
    /// </summary>
    public string IndexKey => _urlPattern is not null ? $"URLPattern\u0001{HubUrl}\u0001{Pattern}" : Pattern;

    /// <summary>A Mercure 1.0 subscription's matcher as a selector (its URL pattern already compiled and cached).</summary>
    public static TopicSelector FromMatcher(Matchers.TopicMatcher matcher, string hubUrl) => new(matcher, hubUrl);

    public bool IsWildcard { get; }

    /// <summary>True when matching needs the template or URL pattern, not just an equality test.</summary>
    public bool IsTemplate => _template is not null || _urlPattern is not null;

    /// <summary>The literal text every topic a template matches starts with ("" for none); the pattern otherwise.</summary>
    public string LiteralPrefix => _urlPattern is not null ? "" : _template?.Prefix ?? Pattern;

    /// <summary>
    /// Matcher states of a template (0 for exact selectors and <c>*</c>): one match visits at most this many per topic
    /// character, so it is what a subscriber's template costs every update it is tried on.
    /// </summary>
    public int MatcherStates => _template?.StateCountTotal ?? 0;

    /// <summary>Expressions of a template (0 for exact selectors and <c>*</c>).</summary>
    public int ExpressionCount => _template?.ExpressionCount ?? 0;

    /// <summary>Match of one topic (nothing cached: a template match is cheaper than a cache lookup).</summary>
    public bool Matches(string topic) =>
        IsWildcard || (_urlPattern is not null ? _urlPattern.Matches(topic, HubUrl!) : topic == Pattern || (_template is not null && _template.IsMatch(topic)));

    /// <summary>Match of one topic, adding the template work done to <paramref name="work"/>.</summary>
    public bool Matches(string topic, ref long work) =>
        IsWildcard || (_urlPattern is not null
            ? _urlPattern.Matches(topic, Urls.WhatwgUrlParser.Parse(topic, HubUrl), ref work)
            : topic == Pattern || (_template is not null && _template.IsMatch(topic, ref work)));

    /// <summary>
    /// Match of a URL pattern against a topic already resolved against <see cref="HubUrl"/> (null: not a URL), so one
    /// update's topic is parsed once for every pattern of the same hub URL.
    /// </summary>
    public bool MatchesResolved(string topic, Urls.WhatwgUrl? resolvedTopic, ref long work) =>
        _urlPattern is not null ? _urlPattern.Matches(topic, resolvedTopic, ref work) : Matches(topic, ref work);

    /// <summary>
    /// The indices of the selectors that match at least one of <paramref name="topics"/>, comma-separated ("0,2"):
    /// what a subscriber that asked for <c>reportMatches</c> is told with each update.
    /// </summary>
    public static string MatchedIndices(IReadOnlyList<TopicSelector> selectors, IReadOnlyList<string> topics)
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < selectors.Count; i++)
        {
            foreach (var topic in topics)
            {
                if (selectors[i].Matches(topic))
                {
                    text.Append(text.Length == 0 ? "" : ",").Append(i);
                    break;
                }
            }
        }

        return text.ToString();
    }

    public override string ToString() => MatcherType is { } type ? $"{type}:{Pattern}" : Pattern;
}
