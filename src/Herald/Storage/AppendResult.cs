namespace Herald.Storage;

public enum AppendStatus
{
    /// <summary>Stored at a new position; it will appear on the feed.</summary>
    Appended,

    /// <summary>The id is retained with the same content: a safe retry, acknowledged without delivering again.</summary>
    Duplicate,

    /// <summary>The id is retained with different content.</summary>
    Conflict,
}

/// <summary>The outcome of <see cref="IHistoryStore.AppendAsync"/>.</summary>
public readonly record struct AppendResult(AppendStatus Status, string Id, long Position);
