using Herald.Storage;

namespace Herald.Fanout;

/// <summary>
/// One read of history for a subscription: the updates it may see, and the position read up to (past updates it may
/// not see, so the next read does not scan them again). <see cref="End"/>: the store had nothing more.
/// </summary>
internal readonly record struct HistoryPage(IReadOnlyList<StoredUpdate> Visible, long ReadUpTo, bool End);
