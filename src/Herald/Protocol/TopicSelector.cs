namespace Herald.Protocol;

/// <summary>
/// A topic selector as Mercure 0.x defines it: <c>*</c> matches every topic, a string equal to the topic matches it,
/// and a selector containing <c>{</c> that parses as an RFC 6570 template matches every topic it could expand to.
/// </summary>
internal sealed class TopicSelector
{
    public const string Wildcard = "*";

    private readonly UriTemplateMatcher? _template;

    internal TopicSelector(string pattern)
    {
        Pattern = pattern;
        IsWildcard = pattern == Wildcard;
        if (!IsWildcard && pattern.Contains('{'))
        {
            _template = UriTemplateMatcher.TryCompile(pattern);
        }
    }

    public string Pattern { get; }

    public bool IsWildcard { get; }

    /// <summary>True when matching needs the template, not just an equality test.</summary>
    public bool IsTemplate => _template is not null;

    /// <summary>The literal text every topic a template matches starts with ("" for none); the pattern otherwise.</summary>
    public string LiteralPrefix => _template?.Prefix ?? Pattern;

    /// <summary>
    /// Matcher states of a template (0 for exact selectors and <c>*</c>): one match visits at most this many per topic
    /// character, so it is what a subscriber's template costs every update it is tried on.
    /// </summary>
    public int MatcherStates => _template?.StateCountTotal ?? 0;

    /// <summary>Expressions of a template (0 for exact selectors and <c>*</c>).</summary>
    public int ExpressionCount => _template?.ExpressionCount ?? 0;

    /// <summary>Match of one topic (nothing cached: a template match is cheaper than a cache lookup).</summary>
    public bool Matches(string topic) =>
        IsWildcard || topic == Pattern || (_template is not null && _template.IsMatch(topic));

    /// <summary>Match of one topic, adding the template work done to <paramref name="work"/>.</summary>
    public bool Matches(string topic, ref long work) =>
        IsWildcard || topic == Pattern || (_template is not null && _template.IsMatch(topic, ref work));

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

    public override string ToString() => Pattern;
}
