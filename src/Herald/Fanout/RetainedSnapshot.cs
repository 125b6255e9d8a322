using Herald.Storage;

namespace Herald.Fanout;

/// <summary>
/// The latest values a subscription starts with, in store order. <see cref="Cut"/>: more matched than
/// <see cref="HeraldOptions.MaxRetainedPerSubscription"/>, so only the newest were taken.
/// </summary>
internal readonly record struct RetainedSnapshot(IReadOnlyList<StoredUpdate> Values, bool Cut)
{
    public static RetainedSnapshot Empty { get; } = new([], false);

    public bool IsEmpty => Values.Count == 0;
}
