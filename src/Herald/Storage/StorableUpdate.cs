namespace Herald.Storage;

/// <summary>The check every store makes at its door, before an update can reach a writer, a file or a script.</summary>
internal static class StorableUpdate
{
    /// <summary>
    /// Returns the update's id; throws <see cref="ArgumentException"/> for an update no store can keep (no id, or topics
    /// or data forced to null), so a caller's mistake is refused to that caller instead of failing a shared batch.
    /// </summary>
    public static string RequireId(Update update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Id is null)
        {
            throw new ArgumentException("The update needs an id before it is stored.", nameof(update));
        }

        if (update.Topics is null || update.Data is null)
        {
            throw new ArgumentException("The update needs topics and data (empty data is \"\") to be stored.", nameof(update));
        }

        return update.Id;
    }
}
