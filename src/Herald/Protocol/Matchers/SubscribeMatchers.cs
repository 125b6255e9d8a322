using System.Text;
using Herald.Protocol.UrlPatterns;

namespace Herald.Protocol.Matchers;

/// <summary>
/// The Mercure 1.0 subscribe parameters <c>match</c>, <c>matchExact</c> and <c>matchURLPattern</c> (draft-08,
/// "Subscription"), read from the raw query string: names are case-sensitive and any other name in the reserved
/// <c>match</c> prefix (ASCII case-insensitive) is refused; values must be UTF-8 without control or format characters;
/// counts and lengths are bounded as the reference hub bounds them; URL patterns must compile. Every refusal is a
/// 400 with a one-line reason.
/// </summary>
internal static class SubscribeMatchers
{
    /// <summary>100 matchers per request, as the reference hub.</summary>
    public const int MaxMatchers = 100;

    /// <summary>4,096 bytes (UTF-8) per matcher, as the reference hub.</summary>
    public const int MaxMatcherBytes = 4096;

    /// <summary>10,000 compiled URL patterns kept: building one costs 0.2–5 ms (bench/README.md), reconnects reuse them.</summary>
    public const int CacheSize = 10_000;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    // Keyed by hub URL and pattern (the base changes what a relative pattern means). Cleared whole when full: crude,
    // but bounded, and a miss only costs a rebuild. Refusals are not cached (their cost is bounded by the same limits).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string HubUrl, string Pattern), TopicMatcher> Compiled = new();

    /// <summary>True when the query has a parameter in the reserved <c>match</c> prefix (cheap: no decoding).</summary>
    public static bool HasMatchParameters(string? rawQuery) =>
        rawQuery is not null && rawQuery.Contains("match", StringComparison.OrdinalIgnoreCase) && Split(rawQuery).Any(p => IsReserved(p.Name));

    /// <summary>The matchers of the query (empty when it has none), or the refusal.</summary>
    public static (IReadOnlyList<TopicMatcher> Matchers, HeraldError? Error) Parse(string? rawQuery, string hubUrl) =>
        Parse(rawQuery, hubUrl, MatcherLimits.None);

    /// <summary>
    /// The matchers of the query, or the refusal; the hub's own limits are checked before a pattern is compiled, so a
    /// request over them costs no build.
    /// </summary>
    public static (IReadOnlyList<TopicMatcher> Matchers, HeraldError? Error) Parse(string? rawQuery, string hubUrl, MatcherLimits limits)
    {
        var patterns = 0;
        var matchers = new List<TopicMatcher>();
        if (rawQuery is null)
        {
            return (matchers, null);
        }

        foreach (var (rawName, rawValue) in Split(rawQuery))
        {
            if (!IsReserved(rawName))
            {
                continue;
            }

            if (Decode(rawName) is not { } name)
            {
                return (matchers, HeraldError.Invalid("a matcher parameter name is not valid UTF-8"));
            }

            MatcherType type;
            switch (name)
            {
                case "match" or "matchExact":
                    type = MatcherType.Exact;
                    break;
                case "matchURLPattern":
                    type = MatcherType.UrlPattern;
                    break;
                default:
                    return (matchers, HeraldError.Invalid($"unknown matcher parameter \"{ReasonText.Quote(name)}\": use match, matchExact or matchURLPattern (names are case-sensitive; the match prefix is reserved)"));
            }

            if (matchers.Count == Math.Min(MaxMatchers, limits.MaxMatchers))
            {
                return (matchers, HeraldError.Invalid($"more than {Math.Min(MaxMatchers, limits.MaxMatchers)} matchers in one subscription"));
            }

            if (rawValue.Length > MaxMatcherBytes * 3 || Decode(rawValue) is not { } value)
            {
                return (matchers, HeraldError.Invalid(rawValue.Length > MaxMatcherBytes * 3
                    ? $"a matcher longer than {MaxMatcherBytes} bytes"
                    : $"the value of \"{name}\" is not valid UTF-8"));
            }

            var bytes = Encoding.UTF8.GetByteCount(value);
            if (bytes > MaxMatcherBytes)
            {
                return (matchers, HeraldError.Invalid($"a matcher of {bytes} bytes is longer than the hub's limit of {MaxMatcherBytes}"));
            }

            if (value.Length == 0)
            {
                return (matchers, HeraldError.Invalid($"an empty \"{name}\": name a topic, a URL pattern or *"));
            }

            if (FieldCharacters.DescribeForbidden(value) is { } forbidden)
            {
                return (matchers, HeraldError.Invalid($"\"{name}\" must not contain control or format characters: {forbidden}"));
            }

            if (value != TopicMatcher.Wildcard && type == MatcherType.Exact && value.Length > limits.MaxExactLength)
            {
                return (matchers, HeraldError.Invalid($"a matcher of {value.Length} characters is longer than the hub's limit of {limits.MaxExactLength} (MaxTopicLength)"));
            }

            if (value != TopicMatcher.Wildcard && type == MatcherType.UrlPattern)
            {
                if (value.Length > limits.MaxPatternLength)
                {
                    return (matchers, HeraldError.Invalid($"a URL pattern of {value.Length} characters is longer than the hub's limit of {limits.MaxPatternLength} (MaxTemplateLength)"));
                }

                if (++patterns > limits.MaxPatterns)
                {
                    return (matchers, HeraldError.Invalid($"more than {limits.MaxPatterns} URL patterns in one subscription (MaxTemplatesPerSubscription); exact matchers count only against the matcher limit"));
                }
            }

            try
            {
                matchers.Add(type == MatcherType.Exact ? TopicMatcher.Create(type, value, hubUrl) : CompiledPattern(value, hubUrl));
            }
            catch (UrlPatternException e)
            {
                return (matchers, HeraldError.Invalid($"invalid URL pattern \"{ReasonText.Quote(value)}\": {e.Message}"));
            }
        }

        return (matchers, null);
    }

    internal static TopicMatcher CompiledPattern(string pattern, string hubUrl)
    {
        if (Compiled.TryGetValue((hubUrl, pattern), out var matcher))
        {
            return matcher;
        }

        matcher = TopicMatcher.Create(MatcherType.UrlPattern, pattern, hubUrl);
        if (Compiled.Count >= CacheSize)
        {
            Compiled.Clear();
        }

        Compiled.TryAdd((hubUrl, pattern), matcher);
        return matcher;
    }

    private static bool IsReserved(string rawName) => rawName.StartsWith("match", StringComparison.OrdinalIgnoreCase)
        || (rawName.Contains('%') && Decode(rawName) is { } decoded && decoded.StartsWith("match", StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<(string Name, string Value)> Split(string rawQuery)
    {
        var query = rawQuery.StartsWith('?') ? rawQuery[1..] : rawQuery;
        foreach (var pair in query.Split('&'))
        {
            if (pair.Length == 0)
            {
                continue;
            }

            var equals = pair.IndexOf('=');
            yield return equals < 0 ? (pair, "") : (pair[..equals], pair[(equals + 1)..]);
        }
    }

    /// <summary>application/x-www-form-urlencoded decoding ('+' is a space), null for bytes that are not UTF-8.</summary>
    private static string? Decode(string raw)
    {
        if (raw.IndexOfAny(['%', '+']) < 0)
        {
            return raw;
        }

        try
        {
            return StrictUtf8.GetString(Urls.PercentEncoding.DecodeToBytes(raw.Replace('+', ' ')));
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}

/// <summary>The hub's limits on one subscription's matchers (its options), checked before anything is compiled.</summary>
internal readonly record struct MatcherLimits(int MaxMatchers, int MaxExactLength, int MaxPatternLength, int MaxPatterns)
{
    /// <summary>Only the draft's own bounds (<see cref="SubscribeMatchers.MaxMatchers"/>, <see cref="SubscribeMatchers.MaxMatcherBytes"/>).</summary>
    public static MatcherLimits None { get; } = new(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue);
}
