using System.Text;
using System.Text.RegularExpressions;

namespace Herald.Protocol.UrlPatterns;

/// <summary>
/// One compiled component of a URL pattern (protocol, hostname, pathname…): its normalized pattern string, its group
/// names, and its regular expression on <see cref="RegexOptions.NonBacktracking"/>, linear in the input's length.
/// </summary>
internal sealed class UrlPatternComponent
{
    /// <summary>
    /// 1,000: the largest weight (atoms times repetition bounds) of one component's expression. NonBacktracking builds
    /// about five automaton nodes per unit and refuses more than 10,000 nodes; this refuses first, with a clear reason.
    /// </summary>
    public const long MaxWeight = 1_000;

    // Null for the two shapes most components have, matched without a regex: "*" and fixed text.
    private readonly Regex? _regex;
    private readonly string? _fixedText;

    // The fixed text a regex component starts with, tested before the regex: most inputs a pattern is tried on (every
    // update's topic, for a subscriber's pattern) differ there, and a comparison costs far less than the automaton.
    private string? _literalPrefix;

    // JavaScript rejects an empty iteration of a quantified group: "(.*)?" that matched "" leaves the group undefined.
    private readonly bool[] _emptyIsUndefined;

    private UrlPatternComponent(string patternString, Regex? regex, string? fixedText, string[] groupNames, bool[] emptyIsUndefined, bool hasRegexpGroups, long weight)
    {
        _fixedText = fixedText;
        _emptyIsUndefined = emptyIsUndefined;
        PatternString = patternString;
        _regex = regex;
        GroupNames = groupNames;
        HasRegexpGroups = hasRegexpGroups;
        Weight = weight;
    }

    public string PatternString { get; }

    public string[] GroupNames { get; }

    public bool HasRegexpGroups { get; }

    /// <summary>Size of the expression (atoms times repetition bounds): what one input character can cost.</summary>
    public long Weight { get; }


    public static UrlPatternComponent Compile(string input, Func<string, string> encode, PatternOptions options)
    {
        var parts = PatternParser.Parse(input, options, encode);
        var (pattern, names, weight) = GenerateRegex(parts, options);
        if (weight > MaxWeight)
        {
            throw new UrlPatternException($"the pattern \"{input}\" is too complex for the hub (weight {weight}, at most {MaxWeight})");
        }

        var patternString = PatternStringGenerator.Generate(parts, options);
        var emptyIsUndefined = parts.Where(p => p.Type != PartType.FixedText)
            .Select(p => p.Modifier == PartModifier.Optional && p.Prefix.Length == 0 && p.Suffix.Length == 0).ToArray();
        var hasRegexpGroups = parts.Exists(p => p.Type == PartType.Regexp);
        if (!options.IgnoreCase && (parts.Count == 0 || (parts.Count == 1 && parts[0] is { Type: PartType.FixedText, Modifier: PartModifier.None })))
        {
            return new(patternString, null, parts.Count == 0 ? "" : parts[0].Value, names, emptyIsUndefined, hasRegexpGroups, weight);
        }

        if (patternString == "*" && !options.IgnoreCase)
        {
            return new(patternString, null, null, names, emptyIsUndefined, hasRegexpGroups, weight);
        }

        var flags = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | (options.IgnoreCase ? RegexOptions.IgnoreCase : 0);
        Regex regex;
        try
        {
            regex = new Regex(pattern, flags);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new UrlPatternException($"the pattern \"{input}\" cannot be compiled: {e.Message.Split('\n')[0]}");
        }

        return new(patternString, regex, null, names, emptyIsUndefined, hasRegexpGroups, weight)
        {
            // The regex is anchored and starts with this text escaped, so an input without it cannot match.
            _literalPrefix = !options.IgnoreCase && parts is [{ Type: PartType.FixedText, Modifier: PartModifier.None, Value.Length: > 0 } first, ..] ? first.Value : null,
        };
    }

    /// <summary>The engine's options; a component matched without a regex reports NonBacktracking (it is linear too).</summary>
    public RegexOptions Options => _regex?.Options ?? RegexOptions.NonBacktracking;

    public bool IsMatch(string input) =>
        _regex is null
            ? _fixedText is null || input == _fixedText
            : (_literalPrefix is null || input.StartsWith(_literalPrefix, StringComparison.Ordinal)) && _regex.IsMatch(input);

    /// <summary>The groups of a match (null values for groups that did not participate), or null for no match.</summary>
    public Dictionary<string, string?>? Exec(string input)
    {
        if (_regex is null)
        {
            // "*" captures the whole input as group 0 (the full wildcard's group); fixed text has no group.
            return _fixedText is null ? new(StringComparer.Ordinal) { [GroupNames[0]] = input }
                : input == _fixedText ? new(StringComparer.Ordinal) : null;
        }

        var match = _regex.Match(input);
        if (!match.Success)
        {
            return null;
        }

        var groups = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < GroupNames.Length; i++)
        {
            var group = match.Groups[i + 1];
            groups[GroupNames[i]] = group.Success && !(group.Length == 0 && _emptyIsUndefined[i]) ? group.Value : null;
        }

        return groups;
    }

    /// <summary>The standard's "generate a regular expression and name list", emitting .NET syntax.</summary>
    private static (string Pattern, string[] Names, long Weight) GenerateRegex(List<PatternPart> parts, PatternOptions options)
    {
        var result = new StringBuilder("^");
        var names = new List<string>();
        long weight = 0;
        var delimiter = CodePointSet.Empty;
        foreach (var rune in options.Delimiter.EnumerateRunes())
        {
            delimiter = delimiter.Union(CodePointSet.Of(rune.Value, rune.Value));
        }

        var segmentWildcard = delimiter.Complement().ToNetPattern() + "+?";
        var fullWildcard = CodePointSet.Dot.ToNetPattern() + "*";
        foreach (var part in parts)
        {
            var repeat = part.Modifier is PartModifier.ZeroOrMore or PartModifier.OneOrMore ? 2 : 1;
            var modifier = PatternStringGenerator.ModifierString(part.Modifier);
            if (part.Type == PartType.FixedText)
            {
                weight += part.Value.Length * repeat;
                result.Append(part.Modifier == PartModifier.None ? Regex.Escape(part.Value) : "(?:" + Regex.Escape(part.Value) + ")" + modifier);
                continue;
            }

            names.Add(part.Name);
            string value;
            switch (part.Type)
            {
                case PartType.SegmentWildcard:
                    value = segmentWildcard;
                    weight += 1;
                    break;
                case PartType.FullWildcard:
                    value = fullWildcard;
                    weight += 1;
                    break;
                default:
                    var (translated, regexpWeight) = JsRegexTranslator.Translate(part.Value);
                    value = translated;
                    weight += regexpWeight;
                    break;
            }

            weight += (part.Prefix.Length + part.Suffix.Length) * repeat;
            var prefix = Regex.Escape(part.Prefix);
            var suffix = Regex.Escape(part.Suffix);
            if (part.Prefix.Length == 0 && part.Suffix.Length == 0)
            {
                result.Append(part.Modifier is PartModifier.None or PartModifier.Optional
                    ? "(" + value + ")" + modifier
                    : "((?:" + value + ")" + modifier + ")");
                continue;
            }

            if (part.Modifier is PartModifier.None or PartModifier.Optional)
            {
                result.Append("(?:").Append(prefix).Append('(').Append(value).Append(')').Append(suffix).Append(')').Append(modifier);
                continue;
            }

            weight += 1; // the value appears twice
            result.Append("(?:").Append(prefix).Append("((?:").Append(value).Append(")(?:").Append(suffix).Append(prefix)
                .Append("(?:").Append(value).Append("))*)").Append(suffix).Append(')');
            if (part.Modifier == PartModifier.ZeroOrMore)
            {
                result.Append('?');
            }
        }

        result.Append("\\z");
        return (result.ToString(), [.. names], weight);
    }
}
