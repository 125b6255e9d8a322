using Herald.Protocol;

namespace Herald.Fanout;

/// <summary>
/// The timer of a subscriber whose token has an <c>exp</c>: it fires once for the notice
/// (<see cref="SseFrame.TokenExpiringEvent"/>), due min(<see cref="Subscriber.MaxExpiryNotice"/>, half the time left)
/// before <c>exp</c>, then once more at <c>exp</c>, which closes the stream. Its own object, so the many streams whose
/// tokens never expire carry none of it.
/// </summary>
internal sealed class TokenExpiryTimer
{
    /// <summary>30 days: under the ~49.7 days a timer can wait at most; a token valid longer is waited for in legs.</summary>
    private static readonly TimeSpan MaxTimerLeg = TimeSpan.FromDays(30);

    private readonly Lock _lock = new();
    private readonly Subscriber _subscriber;
    private readonly DateTimeOffset _expires;
    private readonly DateTimeOffset _noticeAt;
    private readonly TimeProvider _time;
    private ITimer? _timer;
    private bool _noticeSent;

    private TokenExpiryTimer(Subscriber subscriber, DateTimeOffset expires, DateTimeOffset noticeAt, TimeProvider time)
    {
        _subscriber = subscriber;
        _expires = expires;
        _noticeAt = noticeAt;
        _time = time;
    }

    /// <summary>
    /// Arms the timer for the notice; a token already expired closes the subscriber at once (null: no timer). Created
    /// disarmed and then set, so the callback never runs before the field is.
    /// </summary>
    public static TokenExpiryTimer? Start(Subscriber subscriber, DateTimeOffset expires, TimeProvider time)
    {
        var left = expires - time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            subscriber.Expire(expires);
            return null;
        }

        var notice = left / 2 < Subscriber.MaxExpiryNotice ? left / 2 : Subscriber.MaxExpiryNotice;
        var expiry = new TokenExpiryTimer(subscriber, expires, expires - notice, time);
        lock (expiry._lock)
        {
            expiry._timer = time.CreateTimer(static state => ((TokenExpiryTimer)state!).OnTimer(), expiry, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            expiry.Arm(left - notice);
        }

        return expiry;
    }

    public void Stop()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>
    /// The notice when it is due (then re-armed for <c>exp</c>), the close at <c>exp</c>, or, for a token valid longer
    /// than a timer can wait, just the next leg of the wait.
    /// </summary>
    private void OnTimer()
    {
        var now = _time.GetUtcNow();
        if (now >= _expires)
        {
            _subscriber.Expire(_expires);
            return;
        }

        bool notify;
        lock (_lock)
        {
            if (_timer is null)
            {
                return;
            }

            notify = !_noticeSent && now >= _noticeAt;
            _noticeSent |= notify;
            Arm(_noticeSent ? _expires - now : _noticeAt - now);
        }

        // Outside the lock: an enqueue that overflows disconnects, which stops this timer.
        if (notify)
        {
            _subscriber.TryEnqueue(SseFrame.TokenExpiring(_expires, _expires - now));
        }
    }

    /// <summary>Sets the timer, in legs of at most <see cref="MaxTimerLeg"/> (timers wait at most about 49 days).</summary>
    private void Arm(TimeSpan due) => _timer!.Change(due < MaxTimerLeg ? due : MaxTimerLeg, Timeout.InfiniteTimeSpan);
}
