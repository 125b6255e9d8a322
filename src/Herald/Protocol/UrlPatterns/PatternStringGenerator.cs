using System.Text;

namespace Herald.Protocol.UrlPatterns;

/// <summary>The standard's "generate a pattern string": the normalized pattern a component shows (URLPattern's getters).</summary>
internal static class PatternStringGenerator
{
    public static string EscapePatternString(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is '+' or '*' or '?' or ':' or '{' or '}' or '(' or ')' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    public static string ModifierString(PartModifier modifier) => modifier switch
    {
        PartModifier.Optional => "?",
        PartModifier.ZeroOrMore => "*",
        PartModifier.OneOrMore => "+",
        _ => "",
    };

    public static string Generate(List<PatternPart> parts, PatternOptions options)
    {
        var result = new StringBuilder();
        for (var index = 0; index < parts.Count; index++)
        {
            var part = parts[index];
            var previous = index > 0 ? parts[index - 1] : null;
            var next = index < parts.Count - 1 ? parts[index + 1] : null;
            if (part.Type == PartType.FixedText)
            {
                if (part.Modifier == PartModifier.None)
                {
                    result.Append(EscapePatternString(part.Value));
                }
                else
                {
                    result.Append('{').Append(EscapePatternString(part.Value)).Append('}').Append(ModifierString(part.Modifier));
                }

                continue;
            }

            var customName = !char.IsAsciiDigit(part.Name[0]);
            var needsGrouping = part.Suffix.Length > 0 || (part.Prefix.Length > 0 && part.Prefix != options.Prefix);
            if (!needsGrouping && customName && part.Type == PartType.SegmentWildcard && part.Modifier == PartModifier.None
                && next is not null && next.Prefix.Length == 0 && next.Suffix.Length == 0)
            {
                needsGrouping = next.Type == PartType.FixedText
                    ? next.Value.Length > 0 && PatternTokenizer.IsValidNameCodePoint(PatternTokenizer.CodePointAt(next.Value, 0).CodePoint, first: false)
                    : char.IsAsciiDigit(next.Name[0]);
            }

            if (!needsGrouping && part.Prefix.Length == 0 && previous is { Type: PartType.FixedText } && previous.Value.Length > 0
                && options.Prefix.Length > 0 && previous.Value[^1] == options.Prefix[0])
            {
                needsGrouping = true;
            }

            if (needsGrouping)
            {
                result.Append('{');
            }

            result.Append(EscapePatternString(part.Prefix));
            if (customName)
            {
                result.Append(':').Append(part.Name);
            }

            if (part.Type == PartType.Regexp)
            {
                result.Append('(').Append(part.Value).Append(')');
            }
            else if (part.Type == PartType.SegmentWildcard && !customName)
            {
                result.Append('(').Append(PatternParser.SegmentWildcardRegexp(options)).Append(')');
            }
            else if (part.Type == PartType.FullWildcard)
            {
                if (!customName && (previous is null || previous.Type == PartType.FixedText || previous.Modifier != PartModifier.None || needsGrouping || part.Prefix.Length > 0))
                {
                    result.Append('*');
                }
                else
                {
                    result.Append('(').Append(PatternParser.FullWildcardRegexp).Append(')');
                }
            }

            if (part.Type == PartType.SegmentWildcard && customName && part.Suffix.Length > 0
                && PatternTokenizer.IsValidNameCodePoint(PatternTokenizer.CodePointAt(part.Suffix, 0).CodePoint, first: false))
            {
                result.Append('\\');
            }

            result.Append(EscapePatternString(part.Suffix));
            if (needsGrouping)
            {
                result.Append('}');
            }

            result.Append(ModifierString(part.Modifier));
        }

        return result.ToString();
    }
}
