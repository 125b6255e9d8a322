using System.Globalization;
using System.Text;

namespace Herald.Protocol.Urls;

/// <summary>
/// The WHATWG host parser: IPv6 in brackets, opaque hosts of non-special URLs, domains (UTS #46 through
/// <see cref="IdnMapping"/>, which needs ICU: under InvariantGlobalization a non-ASCII domain fails), IPv4 in every
/// legacy form (hex, octal, fewer than four parts). Returns the serialized host, or null for failure.
/// </summary>
internal static class UrlHost
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = true, UseStd3AsciiRules = false };

    public static string? Parse(string input, bool isOpaque)
    {
        if (input.StartsWith('['))
        {
            if (!input.EndsWith(']') || input.Length < 2)
            {
                return null;
            }

            var pieces = ParseIPv6(input[1..^1]);
            return pieces is null ? null : "[" + SerializeIPv6(pieces) + "]";
        }

        if (isOpaque)
        {
            foreach (var c in input)
            {
                if (IsForbiddenHost(c))
                {
                    return null;
                }
            }

            return PercentEncoding.Encode(input, EncodeSet.C0Control);
        }

        var domain = new UTF8Encoding(false, false).GetString(PercentEncoding.DecodeToBytes(input));
        var ascii = DomainToAscii(domain);
        if (ascii is null)
        {
            return null;
        }

        if (EndsInNumber(ascii))
        {
            return ParseIPv4(ascii) is { } address ? SerializeIPv4(address) : null;
        }

        return ascii;
    }

    public static bool IsForbiddenHost(int c) =>
        c is 0 or '\t' or '\n' or '\r' or ' ' or '#' or '/' or ':' or '<' or '>' or '?' or '@' or '[' or '\\' or ']' or '^' or '|';

    private static bool IsForbiddenDomain(int c) => IsForbiddenHost(c) || c is <= 0x1F or '%' or 0x7F;

    /// <summary>UTS #46 ToASCII, label by label (CheckHyphens and VerifyDnsLength off, as WHATWG says).</summary>
    private static string? DomainToAscii(string domain)
    {
        // Ideographic and fullwidth full stops separate labels too.
        domain = domain.Replace('\u3002', '.').Replace('\uFF0E', '.').Replace('\uFF61', '.');
        var labels = domain.Split('.');
        var result = new StringBuilder(domain.Length);
        for (var i = 0; i < labels.Length; i++)
        {
            if (i > 0)
            {
                result.Append('.');
            }

            var label = labels[i];
            if (label.Length == 0)
            {
                continue;
            }

            if (Ascii.IsValid(label) && !label.StartsWith("xn--", StringComparison.OrdinalIgnoreCase))
            {
                result.Append(label.ToLowerInvariant());
                continue;
            }

            try
            {
                var mapped = Idn.GetAscii(label);
                if (mapped.StartsWith("xn--", StringComparison.OrdinalIgnoreCase))
                {
                    Idn.GetUnicode(mapped); // validates the Punycode of labels given as xn--
                }

                result.Append(mapped.ToLowerInvariant());
            }
            catch (Exception e) when (e is ArgumentException or PlatformNotSupportedException)
            {
                return null;
            }
        }

        var ascii = result.ToString();
        if (ascii.Length == 0)
        {
            return null;
        }

        foreach (var c in ascii)
        {
            if (IsForbiddenDomain(c))
            {
                return null;
            }
        }

        return ascii;
    }

    private static bool EndsInNumber(string input)
    {
        var parts = input.Split('.');
        var count = parts.Length;
        if (parts[^1].Length == 0)
        {
            if (count == 1)
            {
                return false;
            }

            count--;
        }

        var last = parts[count - 1];
        if (last.Length > 0 && last.All(char.IsAsciiDigit))
        {
            return true;
        }

        return ParseIPv4Number(last, out _);
    }

    private static long? ParseIPv4(string input)
    {
        var parts = new List<string>(input.Split('.'));
        if (parts[^1].Length == 0 && parts.Count > 1)
        {
            parts.RemoveAt(parts.Count - 1);
        }

        if (parts.Count > 4)
        {
            return null;
        }

        var numbers = new long[parts.Count];
        for (var i = 0; i < parts.Count; i++)
        {
            if (!ParseIPv4Number(parts[i], out numbers[i]))
            {
                return null;
            }
        }

        for (var i = 0; i < numbers.Length - 1; i++)
        {
            if (numbers[i] > 255)
            {
                return null;
            }
        }

        if (numbers[^1] >= (long)Math.Pow(256, 5 - numbers.Length))
        {
            return null;
        }

        var address = numbers[^1];
        for (var i = 0; i < numbers.Length - 1; i++)
        {
            address += numbers[i] * (long)Math.Pow(256, 3 - i);
        }

        return address;
    }

    /// <summary>Decimal, 0x hex or 0 octal; numbers past 2^40 saturate (they fail the range check anyway).</summary>
    private static bool ParseIPv4Number(string input, out long value)
    {
        value = 0;
        if (input.Length == 0)
        {
            return false;
        }

        var radix = 10;
        var start = 0;
        if (input.Length >= 2 && input[0] == '0' && (input[1] | 0x20) == 'x')
        {
            radix = 16;
            start = 2;
        }
        else if (input.Length >= 2 && input[0] == '0')
        {
            radix = 8;
            start = 1;
        }

        for (var i = start; i < input.Length; i++)
        {
            var c = input[i];
            int digit;
            if (char.IsAsciiDigit(c))
            {
                digit = c - '0';
            }
            else if (radix == 16 && PercentEncoding.IsHex(c))
            {
                digit = PercentEncoding.HexValue(c);
            }
            else
            {
                return false;
            }

            if (digit >= radix)
            {
                return false;
            }

            value = Math.Min((value * radix) + digit, 1L << 40);
        }

        return true;
    }

    private static string SerializeIPv4(long address) =>
        $"{(address >> 24) & 255}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}";

    private static ushort[]? ParseIPv6(string input)
    {
        var address = new ushort[8];
        var pieceIndex = 0;
        int? compress = null;
        var pointer = 0;
        char At(int i) => i < input.Length ? input[i] : '\0';
        bool Eof(int i) => i >= input.Length;

        if (At(pointer) == ':')
        {
            if (At(pointer + 1) != ':')
            {
                return null;
            }

            pointer += 2;
            compress = ++pieceIndex;
        }

        while (!Eof(pointer))
        {
            if (pieceIndex == 8)
            {
                return null;
            }

            if (At(pointer) == ':')
            {
                if (compress is not null)
                {
                    return null;
                }

                pointer++;
                compress = ++pieceIndex;
                continue;
            }

            int value = 0, length = 0;
            while (length < 4 && !Eof(pointer) && PercentEncoding.IsHex(At(pointer)))
            {
                value = (value * 16) + PercentEncoding.HexValue(At(pointer));
                pointer++;
                length++;
            }

            if (At(pointer) == '.' && !Eof(pointer))
            {
                if (length == 0)
                {
                    return null;
                }

                pointer -= length;
                if (pieceIndex > 6)
                {
                    return null;
                }

                var numbersSeen = 0;
                while (!Eof(pointer))
                {
                    int? ipv4Piece = null;
                    if (numbersSeen > 0)
                    {
                        if (At(pointer) == '.' && numbersSeen < 4)
                        {
                            pointer++;
                        }
                        else
                        {
                            return null;
                        }
                    }

                    if (!char.IsAsciiDigit(At(pointer)) || Eof(pointer))
                    {
                        return null;
                    }

                    while (!Eof(pointer) && char.IsAsciiDigit(At(pointer)))
                    {
                        var number = At(pointer) - '0';
                        if (ipv4Piece is null)
                        {
                            ipv4Piece = number;
                        }
                        else if (ipv4Piece == 0)
                        {
                            return null;
                        }
                        else
                        {
                            ipv4Piece = (ipv4Piece * 10) + number;
                        }

                        if (ipv4Piece > 255)
                        {
                            return null;
                        }

                        pointer++;
                    }

                    address[pieceIndex] = (ushort)((address[pieceIndex] * 0x100) + ipv4Piece!.Value);
                    numbersSeen++;
                    if (numbersSeen is 2 or 4)
                    {
                        pieceIndex++;
                    }
                }

                if (numbersSeen != 4)
                {
                    return null;
                }

                break;
            }

            if (At(pointer) == ':' && !Eof(pointer))
            {
                pointer++;
                if (Eof(pointer))
                {
                    return null;
                }
            }
            else if (!Eof(pointer))
            {
                return null;
            }

            address[pieceIndex++] = (ushort)value;
        }

        if (compress is { } c)
        {
            var swaps = pieceIndex - c;
            pieceIndex = 7;
            while (pieceIndex != 0 && swaps > 0)
            {
                (address[pieceIndex], address[c + swaps - 1]) = (address[c + swaps - 1], address[pieceIndex]);
                pieceIndex--;
                swaps--;
            }
        }
        else if (pieceIndex != 8)
        {
            return null;
        }

        return address;
    }

    private static string SerializeIPv6(ushort[] address)
    {
        // The first longest run of two or more zero pieces is compressed.
        int bestStart = -1, bestLength = 1;
        for (var i = 0; i < 8;)
        {
            if (address[i] != 0)
            {
                i++;
                continue;
            }

            var j = i;
            while (j < 8 && address[j] == 0)
            {
                j++;
            }

            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }

            i = j;
        }

        var output = new StringBuilder();
        var ignore0 = false;
        for (var i = 0; i < 8; i++)
        {
            if (ignore0 && address[i] == 0)
            {
                continue;
            }

            ignore0 = false;
            if (i == bestStart)
            {
                output.Append(i == 0 ? "::" : ":");
                ignore0 = true;
                continue;
            }

            output.Append(address[i].ToString("x", CultureInfo.InvariantCulture));
            if (i != 7)
            {
                output.Append(':');
            }
        }

        return output.ToString();
    }
}
