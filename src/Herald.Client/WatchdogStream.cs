namespace Herald.Client;

/// <summary>
/// Cancels its token when no byte arrived for the watchdog period: a stream silenced by a dead proxy or a frozen hub
/// never ends by itself, so silence past three heartbeats is treated as a dropped connection.
/// </summary>
internal sealed class WatchdogStream : ReadOnlyStreamWrapper
{
    private readonly CancellationTokenSource _silence;
    private readonly TimeSpan _limit;

    public WatchdogStream(Stream inner, TimeSpan limit, CancellationToken cancellationToken)
        : base(inner)
    {
        _limit = limit;
        _silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _silence.CancelAfter(limit);
    }

    /// <summary>True when the stream was abandoned for silence rather than cancelled by the caller.</summary>
    public bool TimedOut { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _silence.Token);
        try
        {
            var read = await Inner.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
            _silence.CancelAfter(_limit);
            return read;
        }
        catch (OperationCanceledException) when (_silence.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            TimedOut = true;
            throw new IOException($"no data from the hub for {_limit.TotalSeconds:0.#} s (three heartbeats): reconnecting");
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _silence.Dispose();
        }

        base.Dispose(disposing);
    }
}
