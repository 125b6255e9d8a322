using System.Globalization;

namespace Herald.Cli.Configuration;

/// <summary>
/// Durations on the command line: a .NET TimeSpan (<c>00:00:05</c>, <c>1.00:00:00</c>) or a number with a unit
/// (<c>500ms</c>, <c>5s</c>, <c>10m</c>, <c>1h</c>, <c>1d</c>). Configuration files and environment variables use
/// the TimeSpan form, which is what the .NET configuration binder reads.
/// </summary>
internal static class Duration
{
    public const string Syntax = "a duration like 00:00:05, 5s, 10m, 1h or 1d";

    public static bool TryParse(string text, out TimeSpan value)
    {
        text = text.Trim();
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        (string Suffix, double Milliseconds)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];
        foreach (var (suffix, milliseconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && !(suffix == "s" && text.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
                && double.TryParse(text[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                value = TimeSpan.FromMilliseconds(number * milliseconds);
                return true;
            }
        }

        value = default;
        return false;
    }
}
