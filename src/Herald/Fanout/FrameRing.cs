using Herald.Protocol;

namespace Herald.Fanout;

/// <summary>
/// A subscriber's queued frames: a growable ring, held in the subscriber (a mutable struct field, no object of its
/// own) and guarded by the subscriber's lock. An idle stream holds no array at all; the array grows with a burst
/// and is let go when the stream has gone idle (<see cref="TrimIfEmpty"/>), so 10,000 streams that saw one burst do
/// not each keep its peak.
/// </summary>
internal struct FrameRing
{
    /// <summary>4 frames: a heartbeat or a few updates between two flushes need nothing larger.</summary>
    private const int InitialCapacity = 4;

    /// <summary>Past this, a drained ring gives its array back: a burst's peak is not kept by an idle stream.</summary>
    private const int KeptCapacity = 16;

    private SseFrame[]? _items;
    private int _head;

    public int Count { get; private set; }

    public void Push(SseFrame frame)
    {
        var items = _items;
        if (items is null || Count == items.Length)
        {
            items = Grow();
        }

        items[(_head + Count) % items.Length] = frame;
        Count++;
    }

    public bool TryPop(out SseFrame frame)
    {
        if (Count == 0)
        {
            frame = null!;
            return false;
        }

        var items = _items!;
        frame = items[_head];
        items[_head] = null!;
        _head = (_head + 1) % items.Length;
        if (--Count == 0)
        {
            _head = 0;
        }

        return true;
    }

    /// <summary>
    /// Gives back an array a burst grew, once the stream is idle and the ring empty. Not on every drain: a stream that
    /// keeps receiving bursts keeps its array, so delivery allocates nothing.
    /// </summary>
    public void TrimIfEmpty()
    {
        if (Count == 0 && _items is { Length: > KeptCapacity })
        {
            _items = null;
            _head = 0;
        }
    }

    private SseFrame[] Grow()
    {
        var old = _items;
        var grown = new SseFrame[old is null ? InitialCapacity : old.Length * 2];
        for (var i = 0; i < Count; i++)
        {
            grown[i] = old![(_head + i) % old.Length];
        }

        _head = 0;
        _items = grown;
        return grown;
    }
}
