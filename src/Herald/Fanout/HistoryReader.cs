using Herald.Auth;
using Herald.Protocol;
using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Fanout;

/// <summary>
/// The one way a subscription reads history, for SSE replay and long polls alike: resolves a cursor to a
/// <see cref="ResumePoint"/> (capped at <see cref="HeraldOptions.MaxReplay"/>), then reads pages of the updates the
/// caller may see. Every store read takes one of <see cref="HeraldOptions.MaxConcurrentReplays"/> slots, never while
/// the caller writes to its client.
/// </summary>
internal sealed class HistoryReader
{
    /// <summary>Store rows per read: a long replay never holds the store for long.</summary>
    public const int PageSize = 256;

    private readonly IHistoryStore _store;
    private readonly Authorizer _authorizer;
    private readonly HeraldOptions _options;
    private readonly SemaphoreSlim _slots;

    public HistoryReader(IHistoryStore store, Authorizer authorizer, IOptions<HeraldOptions> options)
    {
        _store = store;
        _authorizer = authorizer;
        _options = options.Value;
        _slots = new SemaphoreSlim(_options.MaxConcurrentReplays);
    }

    /// <summary>Where a subscription without a cursor starts: now, with nothing to replay.</summary>
    /// <remarks>
    /// Every new subscription asks this: when a slot is free and the store answers at once (the memory store always
    /// does), nothing is allocated for it.
    /// </remarks>
    public ValueTask<ResumePoint> NowAsync(CancellationToken cancellationToken)
    {
        if (!_slots.Wait(0))
        {
            return new ValueTask<ResumePoint>(WithSlotAsync(() => ReadNowAsync(cancellationToken).AsTask(), cancellationToken));
        }

        ValueTask<ResumePoint> now;
        try
        {
            now = ReadNowAsync(cancellationToken);
        }
        catch
        {
            _slots.Release();
            throw;
        }

        if (now.IsCompleted)
        {
            _slots.Release();
            return now;
        }

        return new ValueTask<ResumePoint>(ReleaseSlotAfterAsync(now));
    }

    /// <summary>
    /// Where to resume from <paramref name="cursor"/>. An id the caller may not see (private without a grant) resumes
    /// exactly as an unknown id does — same start, same gap — so the answer never tells that such an update exists.
    /// </summary>
    public Task<ResumePoint> ResumeAsync(ResumeCursor cursor, HeraldClaims claims, CancellationToken cancellationToken) => WithSlotAsync(async () =>
    {
        var generation = await _store.GetGenerationAsync(cancellationToken).ConfigureAwait(false);
        var head = await _store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
        var (after, gap) = cursor.Kind switch
        {
            ResumeCursorKind.Earliest => (0L, false),
            ResumeCursorKind.Unknown => (0L, true),
            ResumeCursorKind.Position => await FromPositionAsync(cursor, generation, head, cancellationToken).ConfigureAwait(false),
            _ => await FromIdAsync(cursor.Id!, claims, cancellationToken).ConfigureAwait(false),
        };
        return await CapAsync(new ResumePoint(generation, after, gap), head, cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>
    /// Reads after <paramref name="after"/> until <paramref name="maxVisible"/> updates the caller may see, or one page
    /// of the store, whichever comes first.
    /// </summary>
    public Task<HistoryPage> ReadAsync(HeraldClaims claims, IReadOnlyList<TopicSelector> selectors, long after, int maxVisible, CancellationToken cancellationToken) => WithSlotAsync(async () =>
    {
        var rows = await _store.ReadAfterAsync(after, PageSize, cancellationToken).ConfigureAwait(false);
        var visible = new List<StoredUpdate>();
        var readUpTo = after;
        foreach (var stored in rows)
        {
            readUpTo = stored.Position;
            if (!stored.Superseded && _authorizer.CanSee(claims, selectors, stored.Update))
            {
                visible.Add(stored);
                if (visible.Count == maxVisible)
                {
                    return new HistoryPage(visible, readUpTo, End: false);
                }
            }
        }

        return new HistoryPage(visible, readUpTo, End: rows.Count < PageSize);
    }, cancellationToken);

    /// <summary>
    /// The latest value of each retained topic the selectors match and the caller may see, stored at or before
    /// <paramref name="upTo"/> (a value moved on since is newer, and reaches the caller live or in its replay), each
    /// update once, in store order: the newest <see cref="HeraldOptions.MaxRetainedPerSubscription"/> when more match.
    /// </summary>
    public ValueTask<RetainedSnapshot> ReadRetainedAsync(HeraldClaims claims, IReadOnlyList<TopicSelector> selectors, long upTo, CancellationToken cancellationToken) =>
        _store.MayHoldRetained
            ? new ValueTask<RetainedSnapshot>(ReadRetainedInSlotAsync(claims, selectors, upTo, cancellationToken))
            : new ValueTask<RetainedSnapshot>(RetainedSnapshot.Empty);

    private Task<RetainedSnapshot> ReadRetainedInSlotAsync(HeraldClaims claims, IReadOnlyList<TopicSelector> selectors, long upTo, CancellationToken cancellationToken) => WithSlotAsync(async () =>
    {
        // Exact selectors only: look their topics up; a template or * lists every retained topic and matches them here.
        var exact = selectors.All(static s => !s.IsTemplate && !s.IsWildcard) ? selectors.Select(static s => s.Pattern).ToHashSet(StringComparer.Ordinal) : null;
        var listed = await _store.ListRetainedAsync(exact, cancellationToken).ConfigureAwait(false);
        if (listed.Count == 0)
        {
            return RetainedSnapshot.Empty;
        }

        // One topic per position is enough to read that update; newest first, so a cut keeps the newest.
        var byPosition = new Dictionary<long, string>();
        foreach (var (topic, position) in listed)
        {
            if (position <= upTo && !byPosition.ContainsKey(position) && (exact is not null || AnyMatches(selectors, topic)))
            {
                byPosition[position] = topic;
            }
        }

        var newestFirst = byPosition.OrderByDescending(static p => p.Key).ToList();
        var max = _options.MaxRetainedPerSubscription;
        var visible = new List<StoredUpdate>();
        var taken = new HashSet<long>();
        for (var start = 0; start < newestFirst.Count && visible.Count <= max; start += PageSize)
        {
            var chunk = newestFirst.Skip(start).Take(PageSize).ToList();
            var values = await _store.ReadRetainedAsync([.. chunk.Select(static p => p.Value)], cancellationToken).ConfigureAwait(false);
            foreach (var value in values)
            {
                // Counted only when the caller may see it, so a cut never tells that private values exist.
                if (value.Position <= upTo && byPosition.ContainsKey(value.Position) && _authorizer.CanSee(claims, selectors, value.Update)
                    && taken.Add(value.Position))
                {
                    visible.Add(value);
                    if (visible.Count > max)
                    {
                        break;
                    }
                }
            }
        }

        var cut = visible.Count > max;
        return new RetainedSnapshot([.. visible.OrderByDescending(static v => v.Position).Take(max).OrderBy(static v => v.Position)], cut);
    }, cancellationToken);

    /// <summary>
    /// For a replay from <paramref name="after"/> that may start later than asked (<c>earliest</c>, an unknown cursor, a
    /// gap): the position just before the first update it will replay — the retained values at or before it are not in
    /// the history it reads.
    /// </summary>
    public Task<long> ReplayStartAsync(long after, CancellationToken cancellationToken) => WithSlotAsync(async () =>
    {
        var first = await _store.ReadAfterAsync(after, 1, cancellationToken).ConfigureAwait(false);
        return first.Count == 1 ? first[0].Position - 1 : await _store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    private static bool AnyMatches(IReadOnlyList<TopicSelector> selectors, string topic)
    {
        foreach (var selector in selectors)
        {
            if (selector.Matches(topic))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A hub cursor of this generation, not beyond the head, resumes where it says; a gap if updates after it are gone.</summary>
    private async Task<(long After, bool Gap)> FromPositionAsync(ResumeCursor cursor, string generation, long head, CancellationToken cancellationToken)
    {
        if (cursor.Generation != generation || cursor.Position > head)
        {
            // From before the store was emptied or replaced, or forged: it names no point of this history.
            return (0, true);
        }

        if (cursor.Position == head)
        {
            return (head, false);
        }

        // Positions are dense: the next update is retained exactly when the first one after the cursor is at +1.
        var next = await _store.ReadAfterAsync(cursor.Position, 1, cancellationToken).ConfigureAwait(false);
        return (cursor.Position, next.Count == 0 || next[0].Position != cursor.Position + 1);
    }

    private async Task<(long After, bool Gap)> FromIdAsync(string id, HeraldClaims claims, CancellationToken cancellationToken)
    {
        if (await _store.FindPositionAsync(id, cancellationToken).ConfigureAwait(false) is not { } position)
        {
            return (0, true);
        }

        var found = await _store.ReadAfterAsync(position - 1, 1, cancellationToken).ConfigureAwait(false);
        return found.Count == 1 && found[0].Position == position && _authorizer.MaySee(claims, found[0].Update)
            ? (position, false)
            : (0, true);
    }

    /// <summary>More than <see cref="HeraldOptions.MaxReplay"/> updates to replay: only the newest, with a gap.</summary>
    private async Task<ResumePoint> CapAsync(ResumePoint point, long head, CancellationToken cancellationToken)
    {
        if (head - point.After <= _options.MaxReplay)
        {
            return point;
        }

        // Positions may start above 1 once old updates are evicted: count from the first one still retained.
        var first = await _store.ReadAfterAsync(point.After, 1, cancellationToken).ConfigureAwait(false);
        return first.Count == 0 || head - first[0].Position + 1 <= _options.MaxReplay
            ? point
            : point with { After = head - _options.MaxReplay, Gap = true };
    }

    private async ValueTask<ResumePoint> ReadNowAsync(CancellationToken cancellationToken) => new(
        await _store.GetGenerationAsync(cancellationToken).ConfigureAwait(false),
        await _store.GetHeadAsync(cancellationToken).ConfigureAwait(false),
        Gap: false);

    private async Task<T> ReleaseSlotAfterAsync<T>(ValueTask<T> read)
    {
        try
        {
            return await read.ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<T> WithSlotAsync<T>(Func<Task<T>> read, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await read().ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }
}
