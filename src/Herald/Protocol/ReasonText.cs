using System.Globalization;
using System.Text;

namespace Herald.Protocol;

/// <summary>
/// Puts a caller's value (a topic, an id, a token's <c>alg</c> or <c>kid</c>, an origin) into a refusal: cut short, and
/// with every control character and line or paragraph separator escaped (<c>\n</c>, <c>\u001b</c>), so a reason stays
/// one line and shows in a terminal or a log exactly as it reads, never as an ANSI escape or a forged line.
/// </summary>
internal static class ReasonText
{
    /// <summary>The value, escaped, at most <paramref name="maxLength"/> characters of it (then "…").</summary>
    public static string Quote(string? value, int maxLength = 100)
    {
        var text = value ?? "";
        var cut = text.Length > maxLength;
        if (cut)
        {
            // Never between the halves of a surrogate pair.
            text = text[..(char.IsHighSurrogate(text[maxLength - 1]) ? maxLength - 1 : maxLength)];
        }

        if (!text.Any(NeedsEscape))
        {
            return cut ? text + "…" : text;
        }

        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!NeedsEscape(c))
            {
                builder.Append(c);
                continue;
            }

            builder.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
            });
        }

        return cut ? builder.Append('…').ToString() : builder.ToString();
    }

    /// <summary>C0 and C1 controls and DEL, and the Unicode line and paragraph separators.</summary>
    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
