namespace Herald.Cli.Probe;

/// <summary>Running totals over every attempt, for the live line a terminal shows while the probe listens.</summary>
internal sealed class ProbeProgress
{
    private int _open;
    private int _failed;
    private long _events;
    private long _comments;

    public int Open => Volatile.Read(ref _open);

    /// <summary>Attempts that opened no stream, or whose stream the server ended.</summary>
    public int Failed => Volatile.Read(ref _failed);

    public long Events => Interlocked.Read(ref _events);

    public long Comments => Interlocked.Read(ref _comments);

    public void StreamOpened() => Interlocked.Increment(ref _open);

    public void StreamClosed() => Interlocked.Decrement(ref _open);

    public void AttemptFailed() => Interlocked.Increment(ref _failed);

    public void EventSeen() => Interlocked.Increment(ref _events);

    public void CommentSeen() => Interlocked.Increment(ref _comments);
}
