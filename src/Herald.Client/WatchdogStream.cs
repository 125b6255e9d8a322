namespace Herald.Client;

/// <summary>
/// Cancels its token when no byte arrived for the watchdog period: a stream silenced by a dead proxy or a frozen hub
/// never ends by itself, so silence past three heartbeats is treated as a dropped connection.
/// </summary>
internal sealed class WatchdogStream : Stream
{
    private readonly Stream _inner;
    private readonly CancellationTokenSource _silence;
    private readonly TimeSpan _limit;

    public WatchdogStream(Stream inner, TimeSpan limit, CancellationToken cancellationToken)
    {
        _inner = inner;
        _limit = limit;
        _silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _silence.CancelAfter(limit);
    }

    /// <summary>True when the stream was abandoned for silence rather than cancelled by the caller.</summary>
    public bool TimedOut { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _silence.Token);
        try
        {
            var read = await _inner.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
            _silence.CancelAfter(_limit);
            return read;
        }
        catch (OperationCanceledException) when (_silence.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            TimedOut = true;
            throw new IOException($"no data from the hub for {_limit.TotalSeconds:0.#} s (three heartbeats): reconnecting");
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _silence.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
