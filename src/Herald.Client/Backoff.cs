namespace Herald.Client;

/// <summary>
/// Exponential backoff with full jitter: a random delay in [0, min(cap, base × 2^attempt)], so clients that lost the
/// same hub spread their reconnections instead of arriving together.
/// </summary>
internal sealed class Backoff(TimeSpan initialBase, TimeSpan cap, Func<double> random)
{
    private TimeSpan _base = initialBase;
    private int _attempt;

    /// <summary>A server <c>retry:</c> raises the base (never lowers it): the hub knows best how soon to come back.</summary>
    public void RaiseBase(TimeSpan retry)
    {
        if (retry > _base)
        {
            _base = retry;
        }
    }

    public void Reset() => _attempt = 0;

    /// <summary>The next delay; each call doubles the ceiling up to the cap.</summary>
    public TimeSpan Next()
    {
        var ceiling = Math.Min(cap.TotalMilliseconds, _base.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 30)));
        _attempt++;
        return TimeSpan.FromMilliseconds(random() * ceiling);
    }
}
