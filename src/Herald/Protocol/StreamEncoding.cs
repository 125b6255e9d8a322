using System.Buffers;
using System.IO.Pipelines;

namespace Herald.Protocol;

/// <summary>
/// How one stream puts frames on the wire: as they are, or gzip (<see cref="GzipStreamEncoding"/>). One instance per
/// stream: a compressed stream keeps the CRC-32 and length of what it sent, for its trailer.
/// </summary>
internal class StreamEncoding
{
    /// <summary>Frames as they are; shared, it keeps no state.</summary>
    public static readonly StreamEncoding Identity = new();

    /// <summary>The <c>Content-Encoding</c> to announce, or null.</summary>
    public virtual string? ContentEncoding => null;

    /// <summary>Written once, before the first frame.</summary>
    public virtual void Start(PipeWriter output)
    {
    }

    public virtual void Write(PipeWriter output, SseFrame frame) => output.Write(frame.Bytes.Span);

    /// <summary>Written once when the stream ends cleanly (shutdown, token expiry), never after an abort.</summary>
    public virtual void End(PipeWriter output)
    {
    }
}

/// <summary>A gzip stream made of frames compressed once each and shared; its own header, and its own trailer at the end.</summary>
internal sealed class GzipStreamEncoding : StreamEncoding
{
    private uint _crc;
    private long _length;

    public override string? ContentEncoding => "gzip";

    public override void Start(PipeWriter output) => output.Write(GzipFraming.Header);

    public override void Write(PipeWriter output, SseFrame frame)
    {
        var gzip = frame.Gzip;
        output.Write(gzip.Blocks);
        _crc = GzipFraming.Combine(_crc, gzip.Crc, frame.Length);
        _length += frame.Length;
    }

    public override void End(PipeWriter output) => output.Write(GzipFraming.Trailer(_crc, _length));
}

/// <summary>
/// Frames as HTTP/1.1 chunks the hub framed itself: each frame's chunk is built once with the frame and shared by every
/// stream (<see cref="SseFrame.Chunk"/>), so a write copies one span and the server frames nothing. Only for a response
/// that says <c>Transfer-Encoding: chunked</c> itself, which Kestrel then sends as written (<see cref="Http.DirectStream"/>);
/// a clean end sends the last chunk, so the connection can carry another request.
/// </summary>
internal sealed class ChunkedStreamEncoding : StreamEncoding
{
    public static readonly ChunkedStreamEncoding Instance = new();

    private ChunkedStreamEncoding()
    {
    }

    public override void Write(PipeWriter output, SseFrame frame) => output.Write(frame.Chunk.Span);

    public override void End(PipeWriter output) => output.Write("0\r\n\r\n"u8);
}
