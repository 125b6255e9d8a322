using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Herald.Cli.Configuration;

/// <summary>
/// Durations everywhere the CLI reads one (flags, <c>herald.json</c>, <c>HERALD_*</c>): a number with a unit
/// (<c>500ms</c>, <c>5s</c>, <c>10m</c>, <c>1h</c>, <c>1d</c>) or a .NET TimeSpan (<c>00:00:05</c>, <c>1.00:00:00</c>).
/// A bare number other than 0 is refused: TimeSpan reads <c>3</c> as three days, which nobody means.
/// </summary>
internal static class Duration
{
    public const string Examples = "5s, 500ms, 10m, 1h, 1d or 00:00:05";

    private static readonly (string Suffix, double Milliseconds)[] Units =
        [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];

    public static bool TryParse(string text, out TimeSpan value) => TryParse(text, out value, out _);

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> quotes it and says how to write it.</summary>
    public static bool TryParse(string text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        var trimmed = text.Trim();
        value = default;
        error = null;
        if (double.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var bare))
        {
            if (bare == 0)
            {
                return true;
            }

            error = $"\"{text}\" has no unit: write {trimmed}s (or {trimmed}ms, {trimmed}m, {trimmed}h, {trimmed}d)";
            return false;
        }

        foreach (var (suffix, milliseconds) in Units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && !(suffix == "s" && trimmed.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
                && double.TryParse(trimmed[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                value = TimeSpan.FromMilliseconds(number * milliseconds);
                return true;
            }
        }

        if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        error = $"\"{text}\" is not a duration (like {Examples})";
        return false;
    }

    /// <summary>TimeSpan's own invariant form, which the configuration binder reads back exactly.</summary>
    public static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
