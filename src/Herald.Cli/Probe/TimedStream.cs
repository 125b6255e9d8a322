using System.Diagnostics;

namespace Herald.Cli.Probe;

/// <summary>
/// Passes a response body through while timestamping every read and spotting comment lines (<c>:…</c>), which the
/// SSE parser drops but which are exactly what heartbeats are. Times are milliseconds since <c>origin</c>.
/// </summary>
internal sealed class TimedStream(Stream inner, long origin, Action? onComment = null) : Stream
{
    private bool _atLineStart = true;
    private bool _afterCarriageReturn;

    /// <summary>When each non-empty read arrived: every burst of traffic, whatever it carried.</summary>
    public List<double> ChunkTimes { get; } = [];

    public List<double> CommentTimes { get; } = [];

    public long Bytes { get; private set; }

    /// <summary>When the last read returned data: the arrival time of whatever the parser yields next.</summary>
    public double LastReadTime { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public static double Since(long origin) => Stopwatch.GetElapsedTime(origin).TotalMilliseconds;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read > 0)
        {
            var now = Since(origin);
            LastReadTime = now;
            ChunkTimes.Add(now);
            Bytes += read;
            Scan(buffer.Span[..read], now);
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

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
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Scan(ReadOnlySpan<byte> bytes, double now)
    {
        foreach (var b in bytes)
        {
            if (b == (byte)'\n' && _afterCarriageReturn)
            {
                // The \n of a \r\n pair: the line already ended at the \r.
                _afterCarriageReturn = false;
                continue;
            }

            _afterCarriageReturn = b == (byte)'\r';
            if (_atLineStart && b == (byte)':')
            {
                CommentTimes.Add(now);
                onComment?.Invoke();
            }

            _atLineStart = b is (byte)'\n' or (byte)'\r';
        }
    }
}
