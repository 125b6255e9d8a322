using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Herald.Protocol;

/// <summary>Compiles an RFC 6570 URI template into a linear-time matcher of its possible expansions.</summary>
/// <remarks>
/// Mirrors the regexp that Mercure 0.x obtained from github.com/yosida95/uritemplate/v3 <c>Template.Regexp()</c>:
/// every expression is optional, a variable value is any run of its operator's allowed characters or
/// pct-encoded triplets, and variable names, prefix lengths and value lengths are not checked against the topic.
/// </remarks>
internal static class UriTemplateMatcher
{
    // NonBacktracking guarantees matching linear in the topic length, whatever the template.
    private const RegexOptions Options =
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;

    // RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" (as regex class members).
    private const string UnreservedClass = @"\x2d\x2e\x30-\x39\x41-\x5a\x5f\x61-\x7a\x7e";

    // RFC 3986 reserved: gen-delims / sub-delims.
    private const string ReservedClass = @"\x21\x23\x24\x26-\x2c\x2f\x3a\x3b\x3d\x3f\x40\x5b\x5d";

    private const string PctTriplet = "%[0-9A-Fa-f]{2}";

    // Go's regexp rejects counted repetitions above 1000, so such templates never matched in Mercure.
    private const int MaxRepeat = 1000;

    /// <summary>Per-operator expansion rules (RFC 6570 appendix A).</summary>
    private readonly record struct Operator(string First, string Separator, bool Named, bool AllowReserved);

    private static readonly Operator Simple = new("", ",", false, false);

    /// <summary>
    /// Returns an anchored regex matching every string that could be an expansion of <paramref name="template"/>,
    /// or null when the template is not valid RFC 6570 (Level 4) syntax.
    /// </summary>
    public static Regex? TryCompile(string template)
    {
        ArgumentNullException.ThrowIfNull(template);

        // \A and \z rather than ^ and $: .NET's $ would also accept a trailing newline.
        var pattern = new StringBuilder(@"\A");
        var i = 0;
        while (i < template.Length)
        {
            var ok = template[i] == '{'
                ? TryAppendExpression(template, ref i, pattern)
                : TryAppendLiterals(template, ref i, pattern);
            if (!ok)
            {
                return null;
            }
        }

        pattern.Append(@"\z");

        try
        {
            return new Regex(pattern.ToString(), Options);
        }
        catch (NotSupportedException)
        {
            // NonBacktracking caps its automaton size (about 400 variables in one non-exploded expression),
            // below Go's repeat limit; such absurd templates match nothing, as in Mercure when Go rejects one.
            return null;
        }
    }

    /// <summary>Consumes literal characters up to the next '{' and appends them regex-escaped.</summary>
    private static bool TryAppendLiterals(string t, ref int i, StringBuilder pattern)
    {
        var start = i;
        while (i < t.Length && t[i] != '{')
        {
            if (t[i] == '%')
            {
                if (!IsTriplet(t, i))
                {
                    return false;
                }

                i += 3;
                continue;
            }

            // Rune decoding rejects lone surrogates, like Go rejects invalid UTF-8.
            if (Rune.DecodeFromUtf16(t.AsSpan(i), out var rune, out var length) != System.Buffers.OperationStatus.Done
                || !IsLiteral(rune.Value))
            {
                return false;
            }

            i += length;
        }

        pattern.Append(Regex.Escape(t[start..i]));
        return true;
    }

    /// <summary>Parses one "{...}" expression starting at <paramref name="i"/> and appends its regex.</summary>
    private static bool TryAppendExpression(string t, ref int i, StringBuilder pattern)
    {
        i++; // '{'
        if (i >= t.Length)
        {
            return false;
        }

        Operator op;
        var hasOperator = true;
        switch (t[i])
        {
            case '+': op = new("", ",", false, true); break;
            case '#': op = new("#", ",", false, true); break;
            case '.': op = new(".", ".", false, false); break;
            case '/': op = new("/", "/", false, false); break;
            case ';': op = new(";", ";", true, false); break;
            case '?': op = new("?", "&", true, false); break;
            case '&': op = new("&", "&", true, false); break;
            case '=' or ',' or '!' or '@' or '|': return false; // op-reserved for future extensions
            default: op = Simple; hasOperator = false; break;
        }

        if (hasOperator)
        {
            i++;
        }

        var count = 0;
        var firstExplodes = false;
        var anyExplodes = false;
        while (true)
        {
            if (!TrySkipVarName(t, ref i))
            {
                return false;
            }

            var explode = false;
            if (t[i] == '*')
            {
                explode = true;
                i++;
            }
            else if (t[i] == ':')
            {
                // max-length = %x31-39 0*3DIGIT; it only limits expansion, so the regex ignores it.
                i++;
                var maxLength = 0;
                while (i < t.Length && char.IsAsciiDigit(t[i]))
                {
                    maxLength = (maxLength * 10) + (t[i] - '0');
                    if (maxLength is 0 or > 9999)
                    {
                        return false;
                    }

                    i++;
                }

                if (maxLength == 0)
                {
                    return false;
                }
            }

            firstExplodes |= count == 0 && explode;
            anyExplodes |= explode;
            count++;

            if (i >= t.Length)
            {
                return false;
            }

            if (t[i] == '}')
            {
                i++;
                break;
            }

            if (t[i] != ',')
            {
                return false;
            }

            i++;
        }

        // Whole expression optional: an undefined variable expands to nothing, not even the prefix.
        pattern.Append("(?:").Append(Regex.Escape(op.First));
        AppendValueClass(pattern, op, op.Named || firstExplodes);
        if (count > 1 || firstExplodes)
        {
            // Further values follow a separator; explode allows any number of them, else one per variable.
            var max = anyExplodes ? -1 : count - 1;
            pattern.Append("(?:").Append(Regex.Escape(op.Separator));
            AppendValueClass(pattern, op, op.Named || max < 0);
            pattern.Append(')');
            if (max > 0)
            {
                if (max > MaxRepeat)
                {
                    return false;
                }

                pattern.Append("{0,").Append(max.ToString(CultureInfo.InvariantCulture)).Append('}');
            }
            else
            {
                pattern.Append('*');
            }
        }

        pattern.Append(")?");
        return true;
    }

    /// <summary>Skips a varname (varchar / pct-encoded, dot-separated); leaves <paramref name="i"/> on the delimiter.</summary>
    private static bool TrySkipVarName(string t, ref int i)
    {
        var start = i;
        while (i < t.Length && t[i] is not (':' or '*' or ',' or '}'))
        {
            var c = t[i];
            if (c == '%')
            {
                if (!IsTriplet(t, i))
                {
                    return false;
                }

                i += 3;
                continue;
            }

            // Dots only between name parts: no leading or doubled dot.
            if (c == '.' ? i == start || t[i - 1] == '.' : !(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }

            i++;
        }

        // Empty name, trailing dot, or unterminated expression.
        return i < t.Length && i > start && t[i - 1] != '.';
    }

    /// <summary>
    /// Appends the pattern of one variable value. Unreserved-only operators must pct-encode everything else,
    /// but a list value joins items with ',' and a named or exploded one may contain "name=value".
    /// </summary>
    private static void AppendValueClass(StringBuilder pattern, Operator op, bool allowEquals)
    {
        pattern.Append("(?:[");
        if (op.AllowReserved)
        {
            pattern.Append(UnreservedClass).Append(ReservedClass);
        }
        else
        {
            pattern.Append(@"\x2c");
            if (allowEquals)
            {
                pattern.Append(@"\x3d");
            }

            pattern.Append(UnreservedClass);
        }

        pattern.Append("]|").Append(PctTriplet).Append(")*");
    }

    private static bool IsTriplet(string t, int i) =>
        i + 2 < t.Length && t[i] == '%' && char.IsAsciiHexDigit(t[i + 1]) && char.IsAsciiHexDigit(t[i + 2]);

    /// <summary>RFC 6570 "literals" minus pct-encoded (handled separately) and '{'.</summary>
    private static bool IsLiteral(int cp) => cp switch
    {
        0x21 or 0x23 or 0x24 or 0x26 or 0x3D or 0x5D or 0x5F or 0x7E => true,
        >= 0x28 and <= 0x3B => true,
        >= 0x3F and <= 0x5B => true,
        >= 0x61 and <= 0x7A => true,
        >= 0xA0 and <= 0xD7FF => true, // ucschar
        >= 0xE000 and <= 0xF8FF => true, // iprivate
        >= 0xF900 and <= 0xFDCF => true, // ucschar
        >= 0xFDF0 and <= 0xFFEF => true, // ucschar
        >= 0xE0000 and < 0xE1000 => false, // tags / variation selectors are excluded
        >= 0x10000 => (cp & 0xFFFF) <= 0xFFFD, // ucschar and iprivate planes exclude each plane's last two noncharacters
        _ => false,
    };
}
