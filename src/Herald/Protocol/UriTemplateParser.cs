using System.Text;

namespace Herald.Protocol;

/// <summary>A set of ASCII characters as a 128-bit mask: one test per character, no allocation.</summary>
internal readonly record struct AsciiSet(ulong Low, ulong High)
{
    public bool Contains(char c) => c < 64 ? (Low & (1UL << c)) != 0 : c < 128 && (High & (1UL << (c - 64))) != 0;

    public AsciiSet With(string chars)
    {
        var (low, high) = (Low, High);
        foreach (var c in chars)
        {
            if (c < 64)
            {
                low |= 1UL << c;
            }
            else
            {
                high |= 1UL << (c - 64);
            }
        }

        return new(low, high);
    }

    public AsciiSet Union(AsciiSet other) => new(Low | other.Low, High | other.High);
}

/// <summary>
/// One "{...}" expression reduced to what Mercure's regexp checked: optional <see cref="First"/> character, a value,
/// then up to <see cref="MaxSeparators"/> further values each after <see cref="Separator"/>.
/// A value is any run of characters of its set or pct-encoded triplets. <see cref="First"/> is '\0' for no prefix.
/// </summary>
internal readonly record struct TemplateExpression(
    char First, char Separator, AsciiSet FirstValue, AsciiSet FurtherValues, int MaxSeparators);

/// <summary>A parsed template: <c>Literals[0] Expressions[0] Literals[1] ... Literals[n]</c>, literals possibly empty.</summary>
internal sealed record ParsedTemplate(string[] Literals, TemplateExpression[] Expressions);

/// <summary>
/// Parses RFC 6570 (Level 4) syntax the way github.com/yosida95/uritemplate/v3 did for Mercure 0.x, keeping only
/// what its <c>Template.Regexp()</c> used: variable names, prefix lengths and value lengths are checked for syntax only.
/// </summary>
internal static class UriTemplateParser
{
    /// <summary>Stands for "any number of separators" (exploded variables).</summary>
    public const int Unbounded = int.MaxValue - 1;

    /// <summary>Go's regexp rejects counted repetitions above 1000, so such templates never matched in Mercure.</summary>
    private const int MaxRepeat = 1000;

    /// <summary>RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".</summary>
    private static readonly AsciiSet Unreserved = default(AsciiSet)
        .With("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>RFC 3986 reserved: gen-delims / sub-delims.</summary>
    private static readonly AsciiSet Reserved = default(AsciiSet).With(":/?#[]@!$&'()*+,;=");

    private static readonly AsciiSet ReservedValue = Unreserved.Union(Reserved);

    // Unreserved-only operators must pct-encode everything else, but a list value joins items with ','
    // and a named or exploded one may contain "name=value".
    private static readonly AsciiSet ListValue = Unreserved.With(",");
    private static readonly AsciiSet NamedValue = ListValue.With("=");

    /// <summary>Returns the parsed template, or null when it is not valid RFC 6570 (Level 4) syntax.</summary>
    public static ParsedTemplate? TryParse(string template)
    {
        var literals = new List<string>();
        var expressions = new List<TemplateExpression>();
        var i = 0;
        while (true)
        {
            var start = i;
            if (!TrySkipLiterals(template, ref i))
            {
                return null;
            }

            literals.Add(template[start..i]);
            if (i == template.Length)
            {
                return new([.. literals], [.. expressions]);
            }

            if (!TryParseExpression(template, ref i, out var expression))
            {
                return null;
            }

            expressions.Add(expression);
        }
    }

    /// <summary>Skips literal characters up to the next '{' or the end.</summary>
    private static bool TrySkipLiterals(string t, ref int i)
    {
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

        return true;
    }

    /// <summary>Parses one "{...}" expression starting at <paramref name="i"/>.</summary>
    private static bool TryParseExpression(string t, ref int i, out TemplateExpression expression)
    {
        expression = default;
        i++; // '{'
        if (i >= t.Length)
        {
            return false;
        }

        // (first, separator, named, allowReserved) per operator, RFC 6570 appendix A.
        (char First, char Separator, bool Named, bool AllowReserved) op;
        var hasOperator = true;
        switch (t[i])
        {
            case '+': op = ('\0', ',', false, true); break;
            case '#': op = ('#', ',', false, true); break;
            case '.': op = ('.', '.', false, false); break;
            case '/': op = ('/', '/', false, false); break;
            case ';': op = (';', ';', true, false); break;
            case '?': op = ('?', '&', true, false); break;
            case '&': op = ('&', '&', true, false); break;
            case '=' or ',' or '!' or '@' or '|': return false; // op-reserved for future extensions
            default: op = ('\0', ',', false, false); hasOperator = false; break;
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
            else if (t[i] == ':' && !TrySkipMaxLength(t, ref i))
            {
                return false;
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

        // Further values follow a separator: explode allows any number of them, else one per further variable.
        var maxSeparators = anyExplodes ? Unbounded : count - 1;
        if (!anyExplodes && maxSeparators > MaxRepeat)
        {
            return false;
        }

        expression = new(
            op.First,
            op.Separator,
            ValueSet(op.AllowReserved, op.Named || firstExplodes),
            ValueSet(op.AllowReserved, op.Named || anyExplodes),
            maxSeparators);
        return true;
    }

    private static AsciiSet ValueSet(bool allowReserved, bool allowEquals) =>
        allowReserved ? ReservedValue : allowEquals ? NamedValue : ListValue;

    /// <summary>Skips ":" max-length (%x31-39 0*3DIGIT); it only limits expansion, so matching ignores it.</summary>
    private static bool TrySkipMaxLength(string t, ref int i)
    {
        i++; // ':'
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

        return maxLength != 0;
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
