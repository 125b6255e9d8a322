namespace Herald.Fanout;

/// <summary>
/// Where reading a subscription's history starts: after <see cref="After"/> in store <see cref="Generation"/>.
/// <see cref="Gap"/> is true when some updates after the caller's cursor will not be sent — the cursor is unknown, of
/// another generation, names an update the caller may not see, or is further behind than <c>MaxReplay</c>: the caller
/// may have missed updates and should refetch its state. The stream says so with <c>Last-Event-ID: earliest</c>, the
/// long poll with <c>"gap": true</c>.
/// </summary>
internal readonly record struct ResumePoint(string Generation, long After, bool Gap);
