using System.Globalization;

namespace Herald.Redis;

/// <summary>
/// Store positions are a counter kept in Redis (<c>meta.last</c>, incremented by the append script), and each update's
/// stream entry id is <c>POSITION-0</c>. Positions are therefore dense (1, 2, 3…) like SQLite's, so "how far behind"
/// is a subtraction, and replay and the feed are a plain <c>XREAD</c> after <c>POSITION-0</c>, with no lookup.
/// The time an update was stored is kept in the entry's <c>t</c> field instead of the entry id.
/// </summary>
internal static class RedisPositions
{
    public static long FromEntryId(string entryId)
    {
        var dash = entryId.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !long.TryParse(entryId.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            || entryId.AsSpan(dash + 1) is not "0")
        {
            throw new FormatException($"stream entry id \"{entryId}\" was not written by Herald");
        }

        return position;
    }

    public static string ToEntryId(long position) => string.Create(CultureInfo.InvariantCulture, $"{position}-0");
}
