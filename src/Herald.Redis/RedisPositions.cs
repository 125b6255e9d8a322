using System.Globalization;

namespace Herald.Redis;

/// <summary>
/// Store positions are Redis stream entry ids packed into one number: <c>position = ms &lt;&lt; 20 | seq</c>.
/// The append script generates every entry id itself and never lets <c>seq</c> reach 2^20 (it moves to the next
/// millisecond instead), so the mapping is exact both ways and preserves order; 43 bits of milliseconds last until
/// the year 2248. Replay and the feed are then a plain <c>XREAD</c> after the entry id of a position, with no index.
/// </summary>
internal static class RedisPositions
{
    public const int SequenceBits = 20;

    /// <summary>The largest sequence within one millisecond; the Lua script uses the same bound.</summary>
    public const long MaxSequence = (1L << SequenceBits) - 1;

    public static long FromEntryId(string entryId)
    {
        var dash = entryId.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !long.TryParse(entryId.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || !long.TryParse(entryId.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            || seq > MaxSequence || ms >= 1L << (63 - SequenceBits))
        {
            throw new FormatException($"stream entry id \"{entryId}\" was not written by Herald");
        }

        return ms << SequenceBits | seq;
    }

    public static string ToEntryId(long position) =>
        string.Create(CultureInfo.InvariantCulture, $"{position >> SequenceBits}-{position & MaxSequence}");

    public static DateTimeOffset StoredAt(long position) => DateTimeOffset.FromUnixTimeMilliseconds(position >> SequenceBits);
}
