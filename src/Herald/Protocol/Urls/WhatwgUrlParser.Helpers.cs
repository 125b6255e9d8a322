using System.Text;

namespace Herald.Protocol.Urls;

/// <summary>The parser's helpers: input preprocessing, path shortening, dot segments, Windows drive letters.</summary>
internal static partial class WhatwgUrlParser
{
    /// <summary>
    /// Code points of the input, lone surrogates as U+FFFD (JavaScript's USVString conversion), tabs and newlines
    /// removed, leading and trailing C0 controls and spaces trimmed unless a state override is given.
    /// </summary>
    private static int[] CodePoints(string input, bool trimControlsAndSpaces)
    {
        var span = input.AsSpan();
        if (trimControlsAndSpaces)
        {
            var start = 0;
            var end = span.Length;
            while (start < end && span[start] <= ' ')
            {
                start++;
            }

            while (end > start && span[end - 1] <= ' ')
            {
                end--;
            }

            span = span[start..end];
        }

        var result = new List<int>(span.Length);
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c is '\t' or '\n' or '\r')
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                result.Add(char.ConvertToUtf32(c, span[++i]));
            }
            else
            {
                result.Add(char.IsSurrogate(c) ? 0xFFFD : c);
            }
        }

        return [.. result];
    }

    private static void CopyAuthority(WhatwgUrl from, WhatwgUrl to)
    {
        to.Username = from.Username;
        to.Password = from.Password;
        to.Host = from.Host;
        to.Port = from.Port;
    }

    private static void ShortenPath(WhatwgUrl url)
    {
        if (url.Scheme == "file" && url.Path.Count == 1 && IsWindowsDriveLetter(url.Path[0], normalized: true))
        {
            return;
        }

        if (url.Path.Count > 0)
        {
            url.Path.RemoveAt(url.Path.Count - 1);
        }
    }

    private static bool IsSingleDot(string segment) => segment == "." || segment.Equals("%2e", StringComparison.OrdinalIgnoreCase);

    private static bool IsDoubleDot(string segment) => segment switch
    {
        ".." => true,
        _ => segment.Length is 4 or 6 && (segment.Equals(".%2e", StringComparison.OrdinalIgnoreCase)
            || segment.Equals("%2e.", StringComparison.OrdinalIgnoreCase)
            || segment.Equals("%2e%2e", StringComparison.OrdinalIgnoreCase)),
    };

    private static bool IsWindowsDriveLetter(string value, bool normalized) =>
        value.Length == 2 && IsAsciiAlpha(value[0]) && (value[1] == ':' || (!normalized && value[1] == '|'));

    private static bool StartsWithWindowsDriveLetter(int[] cps, int pointer)
    {
        if (cps.Length - pointer < 2 || !IsAsciiAlpha(cps[pointer]) || cps[pointer + 1] is not ':' and not '|')
        {
            return false;
        }

        return cps.Length - pointer == 2 || cps[pointer + 2] is '/' or '\\' or '?' or '#';
    }

    private static bool IsAsciiAlpha(int c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z');

    private static void AppendCodePoint(StringBuilder builder, int c) => builder.Append(char.ConvertFromUtf32(c));

    private static int CountCodePoints(StringBuilder buffer)
    {
        var count = 0;
        foreach (var _ in buffer.ToString().EnumerateRunes())
        {
            count++;
        }

        return count;
    }
}
