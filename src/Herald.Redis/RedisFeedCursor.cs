using Herald.Storage;
using StackExchange.Redis;

namespace Herald.Redis;

/// <summary>
/// One read of the live feed, made atomically: the history's generation and head, the entries after an entry id, and
/// the id field of the entry read after (null when it is gone: trimmed, or the history went back).
/// </summary>
internal sealed record RedisFeedRead(string Generation, long Head, string After, StreamEntry[] Entries, string? AfterId);

internal enum RedisFeedTurn
{
    /// <summary>The read's updates are on the page, in order.</summary>
    Page,

    /// <summary>Another history (an emptied or replaced Redis): the cursor now stands at position 0 of it; read again at once.</summary>
    Replaced,

    /// <summary>The same history went back (a failover to a lagging replica, a restored backup); read again at once.</summary>
    WentBack,
}

/// <summary>
/// Where one node's live feed stands in the Redis history, and what each read means. It follows raw entry ids (an
/// entry it cannot decode is passed, never read again) within one generation. Positions starting over are detected by
/// the generation changing; the same history going back, by the head falling below the last position read or the
/// entry last read holding another update.
/// </summary>
internal sealed class RedisFeedCursor
{
    /// <summary>
    /// Deliveries remembered (position and id) so that, after the history went back, entries already delivered at a
    /// reused position are told apart from new ones there: covers a replica or backup up to this many updates behind.
    /// </summary>
    public const int RememberedDeliveries = 1024;

    private readonly Queue<(long Position, string Id)> _recent = new();
    private Dictionary<long, string>? _delivered;
    private long _deliveredUpTo;

    /// <summary>The id field of the entry at <see cref="After"/>, when this cursor read it; null when it did not.</summary>
    private string? _afterId;

    /// <summary>The generation the feed reads positions in; null before the first read.</summary>
    public string? Generation { get; private set; }

    /// <summary>The entry id to read after; null before the first read, which starts at the head ("from now on").</summary>
    public string? After { get; private set; }

    /// <summary>The position of the last update read (delivered or skipped as already delivered), or where reading resumed.</summary>
    public long Position { get; private set; }

    /// <summary>Applies one read: fills <paramref name="page"/> with what to deliver, or moves the cursor and says why.</summary>
    public RedisFeedTurn Advance(RedisFeedRead read, List<StoredUpdate> page, Func<StreamEntry, StoredUpdate?> decode)
    {
        if (Generation is null)
        {
            Generation = read.Generation;
            Position = read.Head;
            _afterId = read.AfterId;
        }
        else if (read.Generation != Generation)
        {
            // Every entry of a new generation was published after the change: deliver it from its start.
            Generation = read.Generation;
            Resume(0);
            _recent.Clear();
            _delivered = null;
            return RedisFeedTurn.Replaced;
        }
        else if (read.Head < Position || (_afterId is not null && read.AfterId is not null && read.AfterId != _afterId))
        {
            // Positions already read are handed out again. Read the last few again, and skip those this feed already
            // delivered (the same id at the same position): what is new there is delivered, what is not is not repeated.
            _delivered = [];
            foreach (var (position, id) in _recent)
            {
                _delivered[position] = id;
            }

            _deliveredUpTo = Position;
            Resume(Math.Max(0, Math.Min(read.Head, Position) - RememberedDeliveries));
            return RedisFeedTurn.WentBack;
        }

        After = read.After;
        foreach (var entry in read.Entries)
        {
            After = entry.Id.ToString();
            _afterId = IdField(entry);
            if (decode(entry) is not { } stored)
            {
                continue;
            }

            Position = stored.Position;
            if (_delivered is not null && stored.Position > _deliveredUpTo)
            {
                _delivered = null;
            }

            if (_delivered is not null && _delivered.TryGetValue(stored.Position, out var id) && id == stored.Update.Id)
            {
                continue;
            }

            page.Add(stored);
            _recent.Enqueue((stored.Position, stored.Update.Id!));
            if (_recent.Count > RememberedDeliveries)
            {
                _recent.Dequeue();
            }
        }

        return RedisFeedTurn.Page;
    }

    private void Resume(long position)
    {
        Position = position;
        After = RedisPositions.ToEntryId(position);
        _afterId = null;
    }

    /// <summary>The entry's id field as the feed script reports it ("" when absent).</summary>
    private static string IdField(StreamEntry entry)
    {
        foreach (var value in entry.Values)
        {
            if (value.Name == RedisEntryCodec.IdField)
            {
                return value.Value.ToString();
            }
        }

        return "";
    }
}
