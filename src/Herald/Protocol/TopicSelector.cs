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

    /// <summary>Match of one topic (nothing cached: a template match is cheaper than a cache lookup).</summary>
    public bool MatchesUncached(string topic) =>
        IsWildcard || topic == Pattern || (_template is not null && _template.IsMatch(topic));

    public override string ToString() => Pattern;
}
