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

    /// <summary>
    /// False under InvariantGlobalization (the hub's default): IdnMapping then only does Punycode, without UTS #46
    /// mapping or validation, and would turn "example.com%80" into a host. Non-ASCII hosts fail instead (a topic with
    /// one is not a URL, a URL pattern with one is refused); Punycode labels (xn--) are kept as written.
    /// </summary>
    private static readonly bool HasUts46 = !(AppContext.TryGetSwitch("System.Globalization.Invariant", out var invariant) && invariant)
        && Environment.GetEnvironmentVariable("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT") is not ("1" or "true");

    public static string? Parse(string input, bool isOpaque)
    {
        if (input.StartsWith('['))
        {
            if (!input.EndsWith(']') || input.Length < 2)
            {
                return null;
            }

            var pieces = UrlIPv6.Parse(input[1..^1]);
            return pieces is null ? null : "[" + UrlIPv6.Serialize(pieces) + "]";
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

            if (!HasUts46)
            {
                // Without UTS #46: Punycode labels are kept as written (not validated), other non-ASCII labels fail.
                if (!Ascii.IsValid(label))
                {
                    return null;
                }

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
}
