namespace Herald.Bridges;

/// <summary>What one bridge has been doing, for the stats report: written by its poller, read by the report.</summary>
internal sealed class BridgeStatus(HeraldBridge bridge)
{
    private long _requests;
    private long _published;
    private long _unchanged;
    private long _errors;
    private int _consecutiveErrors;
    private string? _lastError;
    private long _lastSuccessMs;
    private int _polling;

    public string Topic { get; } = bridge.Topic;

    /// <summary>The upstream without its query or credentials, which may hold secrets.</summary>
    public string Upstream { get; } = Redact(bridge.Url);

    public TimeSpan Interval { get; } = bridge.Interval;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Answers whose body changed and was published.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Answers that changed nothing: <c>304</c>, or the same body again.</summary>
    public long Unchanged => Interlocked.Read(ref _unchanged);

    public long Errors => Interlocked.Read(ref _errors);

    public int ConsecutiveErrors => Volatile.Read(ref _consecutiveErrors);

    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>When the upstream last answered usefully (Unix ms); null before that.</summary>
    public long? LastSuccessMs => Interlocked.Read(ref _lastSuccessMs) is > 0 and var ms ? ms : null;

    /// <summary>True while someone wants the topic and this node holds its lease, so this node polls it.</summary>
    public bool Polling => Volatile.Read(ref _polling) != 0;

    public void SetPolling(bool polling) => Volatile.Write(ref _polling, polling ? 1 : 0);

    public void Succeeded(bool published, DateTimeOffset now)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref published ? ref _published : ref _unchanged);
        Volatile.Write(ref _consecutiveErrors, 0);
        Interlocked.Exchange(ref _lastSuccessMs, now.ToUnixTimeMilliseconds());
    }

    /// <summary>Returns how many failed in a row, this one included.</summary>
    public int Failed(string reason)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _errors);
        Volatile.Write(ref _lastError, reason);
        return Interlocked.Increment(ref _consecutiveErrors);
    }

    private static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : "(invalid URL)";
}
