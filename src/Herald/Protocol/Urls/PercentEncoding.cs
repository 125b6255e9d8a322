using System.Text;

namespace Herald.Protocol.Urls;

/// <summary>The WHATWG URL standard's percent-encode sets, and UTF-8 percent-encoding and decoding.</summary>
internal enum EncodeSet
{
    C0Control,
    Fragment,
    Query,
    SpecialQuery,
    Path,
    Userinfo,
    Component,
}

internal static class PercentEncoding
{
    public static bool InSet(int c, EncodeSet set)
    {
        if (c is < 0x20 or > 0x7E)
        {
            return true;
        }

        return set switch
        {
            EncodeSet.C0Control => false,
            EncodeSet.Fragment => c is ' ' or '"' or '<' or '>' or '`',
            EncodeSet.Query => c is ' ' or '"' or '#' or '<' or '>',
            EncodeSet.SpecialQuery => c is ' ' or '"' or '#' or '<' or '>' or '\'',
            EncodeSet.Path => c is ' ' or '"' or '#' or '<' or '>' or '?' or '`' or '{' or '}',
            EncodeSet.Userinfo => InSet(c, EncodeSet.Path) || c is '/' or ':' or ';' or '=' or '@' or (>= '[' and <= '^') or '|',
            _ => InSet(c, EncodeSet.Userinfo) || c is (>= '$' and <= '&') or '+' or ',',
        };
    }

    /// <summary>Appends the code point (UTF-8 percent-encoded when in the set).</summary>
    public static void Append(StringBuilder to, int codePoint, EncodeSet set)
    {
        if (!InSet(codePoint, set))
        {
            to.Append((char)codePoint);
            return;
        }

        Span<byte> bytes = stackalloc byte[4];
        var n = new Rune(codePoint).EncodeToUtf8(bytes);
        for (var i = 0; i < n; i++)
        {
            to.Append('%').Append("0123456789ABCDEF"[bytes[i] >> 4]).Append("0123456789ABCDEF"[bytes[i] & 0xF]);
        }
    }

    public static string Encode(string value, EncodeSet set)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var rune in value.EnumerateRunes())
        {
            Append(builder, rune.Value, set);
        }

        return builder.ToString();
    }

    /// <summary>Percent-decodes to bytes: a '%' not followed by two hex digits stays as it is.</summary>
    public static byte[] DecodeToBytes(string value)
    {
        var input = Encoding.UTF8.GetBytes(value);
        var output = new List<byte>(input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] == '%' && i + 2 < input.Length && IsHex(input[i + 1]) && IsHex(input[i + 2]))
            {
                output.Add((byte)((HexValue(input[i + 1]) << 4) | HexValue(input[i + 2])));
                i += 2;
            }
            else
            {
                output.Add(input[i]);
            }
        }

        return [.. output];
    }

    public static bool IsHex(int c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F');

    public static int HexValue(int c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
