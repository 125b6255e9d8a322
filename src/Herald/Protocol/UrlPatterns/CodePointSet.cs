using System.Globalization;
using System.Text;

namespace Herald.Protocol.UrlPatterns;

/// <summary>
/// A set of Unicode code points as sorted, disjoint, inclusive ranges: JavaScript character classes (unions,
/// <c>--</c> subtraction, <c>&amp;&amp;</c> intersection, negation, <c>\d \w \s</c>) are computed here and emitted as
/// a .NET class over UTF-16, with astral code points as surrogate pairs, since .NET classes match single chars.
/// </summary>
internal sealed class CodePointSet
{
    public const int MaxCodePoint = 0x10FFFF;

    private readonly List<(int Lo, int Hi)> _ranges;

    private CodePointSet(List<(int Lo, int Hi)> ranges)
    {
        _ranges = ranges;
    }

    public static CodePointSet Empty => new([]);

    public static CodePointSet Of(int lo, int hi) => new([(lo, hi)]);

    public static CodePointSet Of(params (int Lo, int Hi)[] ranges) => Normalize([.. ranges]);

    /// <summary>JavaScript's ASCII <c>\d</c>.</summary>
    public static CodePointSet Digits => Of('0', '9');

    /// <summary>JavaScript's ASCII <c>\w</c> (no case folding: the hub never sets ignoreCase).</summary>
    public static CodePointSet WordChars => Of(('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z'));

    /// <summary>JavaScript's <c>\s</c>: WhiteSpace and LineTerminator.</summary>
    public static CodePointSet Spaces => Of((9, 13), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
        (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF));

    /// <summary>What <c>.</c> matches without the s flag: everything but line terminators.</summary>
    public static CodePointSet Dot => Of((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)).Complement();

    public bool IsEmpty => _ranges.Count == 0;

    public CodePointSet Union(CodePointSet other) => Normalize([.. _ranges, .. other._ranges]);

    public CodePointSet Complement()
    {
        var result = new List<(int, int)>();
        var next = 0;
        foreach (var (lo, hi) in _ranges)
        {
            if (lo > next)
            {
                result.Add((next, lo - 1));
            }

            next = hi + 1;
        }

        if (next <= MaxCodePoint)
        {
            result.Add((next, MaxCodePoint));
        }

        return new(result);
    }

    public CodePointSet Intersect(CodePointSet other) => Complement().Union(other.Complement()).Complement();

    public CodePointSet Subtract(CodePointSet other) => Intersect(other.Complement());

    /// <summary>A .NET pattern matching one code point of the set (a class, or an alternation with surrogate pairs).</summary>
    public string ToNetPattern()
    {
        var bmp = new StringBuilder();
        var astral = new List<string>();

        // A class holding every surrogate and every astral code point matches astral characters unit by unit: the same
        // matches, without the alternation (cheaper for NonBacktracking to build). Typical of negated classes and '.'.
        var coversAstral = Contains(0xD800, 0xDFFF) && Contains(0x10000, MaxCodePoint);
        foreach (var (lo, hi) in _ranges)
        {
            if (lo <= 0xFFFF)
            {
                AppendRange(bmp, lo, Math.Min(hi, 0xFFFF));
            }

            if (hi > 0xFFFF && !coversAstral)
            {
                AddAstral(astral, Math.Max(lo, 0x10000), hi);
            }
        }

        var bmpClass = bmp.Length == 0 ? null : "[" + bmp + "]";
        if (astral.Count == 0)
        {
            return bmpClass ?? "[^\\s\\S]"; // the empty set matches nothing
        }

        if (bmpClass is not null)
        {
            astral.Insert(0, bmpClass);
        }

        return "(?:" + string.Join('|', astral) + ")";
    }

    private bool Contains(int lo, int hi) => _ranges.Exists(r => r.Lo <= lo && r.Hi >= hi);

    private static void AddAstral(List<string> alternatives, int lo, int hi)
    {
        var (loHigh, loLow) = Split(lo);
        var (hiHigh, hiLow) = Split(hi);
        if (loHigh == hiHigh)
        {
            alternatives.Add(Unit(loHigh) + "[" + Unit(loLow) + "-" + Unit(hiLow) + "]");
            return;
        }

        alternatives.Add(Unit(loHigh) + "[" + Unit(loLow) + "-\\uDFFF]");
        if (hiHigh - loHigh > 1)
        {
            alternatives.Add("[" + Unit(loHigh + 1) + "-" + Unit(hiHigh - 1) + "][\\uDC00-\\uDFFF]");
        }

        alternatives.Add(Unit(hiHigh) + "[\\uDC00-" + Unit(hiLow) + "]");
    }

    private static (int High, int Low) Split(int codePoint)
    {
        var value = codePoint - 0x10000;
        return (0xD800 + (value >> 10), 0xDC00 + (value & 0x3FF));
    }

    private static void AppendRange(StringBuilder to, int lo, int hi)
    {
        to.Append(Unit(lo));
        if (hi > lo)
        {
            to.Append('-').Append(Unit(hi));
        }
    }

    private static string Unit(int c) => "\\u" + c.ToString("X4", CultureInfo.InvariantCulture);

    private static CodePointSet Normalize(List<(int Lo, int Hi)> ranges)
    {
        ranges.Sort();
        var merged = new List<(int, int)>();
        foreach (var (lo, hi) in ranges)
        {
            if (merged.Count > 0 && lo <= merged[^1].Item2 + 1)
            {
                merged[^1] = (merged[^1].Item1, Math.Max(merged[^1].Item2, hi));
            }
            else
            {
                merged.Add((lo, hi));
            }
        }

        return new(merged);
    }
}
