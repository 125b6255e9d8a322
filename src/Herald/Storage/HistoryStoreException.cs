namespace Herald.Storage;

/// <summary>
/// The store cannot do its job: at start-up (unopenable, locked, foreign or corrupt file) the hub refuses to start
/// with this message; at run time a publish is answered 503 with it, and nothing is acknowledged.
/// </summary>
public sealed class HistoryStoreException : Exception
{
    public HistoryStoreException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
