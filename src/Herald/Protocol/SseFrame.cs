using System.Text;

namespace Herald.Protocol;

/// <summary>
/// The SSE bytes of one update, built once and shared by every subscriber queue.
/// Immutable: a pooled buffer would need reference counting, since one returned early would carry another update's bytes.
/// </summary>
internal sealed class SseFrame
{
    /// <summary>Position of a frame that is not an update (comments, retry hints): never skipped as already replayed.</summary>
    public const long NoPosition = long.MaxValue;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>An SSE comment line: keeps proxies from cutting an idle stream, ignored by EventSource.</summary>
    public static readonly SseFrame Heartbeat = FromBytes(NoPosition, ":\n\n"u8);

    /// <summary>
    /// The frame inside one HTTP/1.1 chunk (<c>SIZE-IN-HEX CRLF frame CRLF</c>): a stream that does its own chunking
    /// sends this, framed once for every subscriber (<see cref="ChunkedStreamEncoding"/>); <see cref="Bytes"/> is the
    /// frame within it.
    /// </summary>
    private readonly byte[] _chunk;
    private readonly int _offset;
    private Compressed? _gzip;

    private SseFrame(long position, byte[] chunk, int offset, int length)
    {
        Position = position;
        _chunk = chunk;
        _offset = offset;
        Length = length;
    }

    /// <summary>Store position of the update; <see cref="NoPosition"/> for comments.</summary>
    public long Position { get; }

    public ReadOnlyMemory<byte> Bytes => new(_chunk, _offset, Length);

    public int Length { get; }

    /// <summary>The frame as one HTTP/1.1 chunk, size line and closing CRLF included.</summary>
    public ReadOnlyMemory<byte> Chunk => _chunk;

    /// <summary>
    /// The frame as self-contained gzip body blocks and the CRC-32 of its bytes (see <see cref="GzipFraming"/>),
    /// made on first use by any compressed stream and shared by all: one compression per update, not per subscriber.
    /// </summary>
    public Compressed Gzip
    {
        get
        {
            var gzip = Volatile.Read(ref _gzip);
            if (gzip is null)
            {
                var span = Bytes.Span;
                gzip = new Compressed(GzipFraming.Deflate(span), GzipFraming.Crc(span));

                // Two streams racing compress twice at worst; both results are the same bytes.
                gzip = Interlocked.CompareExchange(ref _gzip, gzip, null) ?? gzip;
            }

            return gzip;
        }
    }

    /// <summary>A comment frame (<c>: text</c>); the text must not contain line breaks.</summary>
    public static SseFrame Comment(string text) => FromBytes(NoPosition, Utf8.GetBytes($": {text}\n\n"));

    /// <summary>
    /// A named event the hub itself sends (<c>event:</c> and one <c>data:</c> line, no <c>id:</c>, so it does not move
    /// the client's resume point); <paramref name="data"/> must be one line.
    /// </summary>
    public static SseFrame Event(string type, string data) => FromBytes(NoPosition, Utf8.GetBytes($"event: {type}\ndata: {data}\n\n"));

    /// <summary>
    /// The event a stream receives shortly before its token's <c>exp</c>, when the hub will close it. A named event, so
    /// <c>EventSource</c> and the clients can listen for it (comments never reach them), prefixed so it cannot be
    /// mistaken for an application's event type, and without <c>id:</c>, so it does not move the client's cursor.
    /// </summary>
    public const string TokenExpiringEvent = "herald.token-expiring";

    /// <summary>
    /// <c>event: herald.token-expiring</c> with <c>{"expires":"2026-01-01T00:00:00Z","secondsLeft":10}</c>: when the
    /// stream will be closed, and how long that is from now (to the millisecond).
    /// </summary>
    public static SseFrame TokenExpiring(DateTimeOffset expires, TimeSpan left)
    {
        var at = expires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var seconds = Math.Max(0, left.TotalSeconds).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        return Event(TokenExpiringEvent, $"{{\"expires\":\"{at}\",\"secondsLeft\":{seconds}}}");
    }

    /// <summary>
    /// A lone <c>id:</c> line: sets the client's resume point (<c>EventSource.lastEventId</c>) without dispatching an
    /// event. Ends a retained snapshot with the hub cursor of the point it was taken at; the cursor is made of letters,
    /// digits and punctuation only.
    /// </summary>
    public static SseFrame CursorOnly(string cursor) => FromBytes(NoPosition, Utf8.GetBytes($"id: {cursor}\n\n"));

    /// <summary>
    /// The event a stream receives before its retained values when more matched than it is sent (the newest ones, their
    /// number sent, in <c>{"sent":N}</c>): the client knows its picture is partial.
    /// </summary>
    public const string RetainedCutEvent = "herald.retained-cut";

    public static SseFrame RetainedCut(int max) => Event(RetainedCutEvent, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{{\"sent\":{max}}}"));

    /// <summary>A bare <c>retry:</c> field telling the client how long to wait before reconnecting.</summary>
    public static SseFrame RetryHint(long milliseconds) => FromBytes(NoPosition, Utf8.GetBytes($"retry: {milliseconds}\n\n"));

    /// <summary>
    /// Serializes an update: optional <c>event:</c>, optional <c>retry:</c>, <c>id:</c>, one <c>data:</c> line per line of data
    /// (split on CRLF, CR or LF, so no data can inject fields), then a blank line. Sized exactly and written in one
    /// pass, so a publish allocates the frame and nothing else.
    /// </summary>
    public static SseFrame ForUpdate(long position, Update update)
    {
        var type = update.Type.AsSpan();
        var id = update.Id.AsSpan();
        var data = update.Data.AsSpan();
        Span<byte> retryDigits = stackalloc byte[20];
        var retryLength = RetryDigits(update, retryDigits);
        var length = FrameLength(update, retryLength);
        var chunk = NewChunk(length, out var offset);
        var span = chunk.AsSpan(offset, length);
        if (!type.IsEmpty)
        {
            span = WriteField(span, EventField, type);
        }

        if (update.Retry is not null)
        {
            RetryField.CopyTo(span);
            retryDigits[..retryLength].CopyTo(span[RetryField.Length..]);
            span[RetryField.Length + retryLength] = (byte)'\n';
            span = span[(RetryField.Length + retryLength + 1)..];
        }

        span = WriteField(span, IdField, id);
        foreach (var line in new LineEnumerator(data))
        {
            span = WriteField(span, DataField, line);
        }

        span[0] = (byte)'\n';
        return new SseFrame(position, chunk, offset, length);
    }

    /// <summary>The Herald field naming which of a subscription's selectors an update matched (see <see cref="WithMatches"/>).</summary>
    public const string MatchesField = "herald-matches";

    /// <summary>
    /// <paramref name="frame"/> with a <c>herald-matches:</c> line before its closing blank line: the indices, in the
    /// order of the request's <c>topic</c> parameters, of the selectors the update matched. A browser tab leading a
    /// stream shared by tabs with other topics hands each tab only what its own topics would have received. The
    /// indices only name the subscriber's own selectors, so they reveal nothing a stream per tab would not.
    /// </summary>
    public static SseFrame WithMatches(SseFrame frame, string indices)
    {
        var source = frame.Bytes.Span;
        var field = Utf8.GetBytes($"{MatchesField}: {indices}\n");
        var length = source.Length + field.Length;
        var chunk = NewChunk(length, out var offset);
        var bytes = chunk.AsSpan(offset, length);
        source[..^1].CopyTo(bytes);
        field.CopyTo(bytes[(source.Length - 1)..]);
        bytes[^1] = (byte)'\n';
        return new SseFrame(frame.Position, chunk, offset, length);
    }

    /// <summary>
    /// A delta of a retained JSON update (docs/deltas.md): the update's <c>event:</c>, <c>retry:</c> and <c>id:</c>, then
    /// <c>herald-delta: FORMAT BASE-ID</c> (a field EventSource ignores) and the patch, compact JSON on one <c>data:</c> line.
    /// </summary>
    public static SseFrame ForDelta(long position, Update update, string field, ReadOnlySpan<byte> patch)
    {
        var head = ForUpdate(position, new Update { Topics = update.Topics, Id = update.Id, Type = update.Type, Retry = update.Retry }).Bytes.Span;

        // The head ends with "data: \n\n": keep it up to the data line, then the field, then the patch.
        var prefix = head[..^(DataField.Length + 2)];
        var fieldLine = Utf8.GetBytes($"{Deltas.JsonDelta.Field}: {field}\n");
        var length = prefix.Length + fieldLine.Length + DataField.Length + patch.Length + 2;
        var chunk = NewChunk(length, out var offset);
        var bytes = chunk.AsSpan(offset, length);
        prefix.CopyTo(bytes);
        fieldLine.CopyTo(bytes[prefix.Length..]);
        DataField.CopyTo(bytes[(prefix.Length + fieldLine.Length)..]);
        patch.CopyTo(bytes[(prefix.Length + fieldLine.Length + DataField.Length)..]);
        bytes[^2] = (byte)'\n';
        bytes[^1] = (byte)'\n';
        return new SseFrame(position, chunk, offset, length);
    }

    private static SseFrame FromBytes(long position, ReadOnlySpan<byte> bytes)
    {
        var chunk = NewChunk(bytes.Length, out var offset);
        bytes.CopyTo(chunk.AsSpan(offset));
        return new SseFrame(position, chunk, offset, bytes.Length);
    }

    /// <summary>
    /// A buffer for a frame of <paramref name="length"/> bytes framed as an HTTP/1.1 chunk: the size line is written, the
    /// frame goes at <paramref name="offset"/>, the closing CRLF is written. Frames are never empty (an empty chunk
    /// would end the response).
    /// </summary>
    private static byte[] NewChunk(int length, out int offset)
    {
        Span<byte> size = stackalloc byte[8];
        if (length <= 0 || !length.TryFormat(size, out var digits, "x", System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "a frame has at least one byte");
        }

        offset = digits + 2;
        var chunk = new byte[offset + length + 2];
        size[..digits].CopyTo(chunk);
        chunk[digits] = (byte)'\r';
        chunk[digits + 1] = (byte)'\n';
        chunk[^2] = (byte)'\r';
        chunk[^1] = (byte)'\n';
        return chunk;
    }

    /// <summary>The size in bytes of the frame <see cref="ForUpdate"/> builds, without building it.</summary>
    public static int LengthOf(Update update)
    {
        Span<byte> retryDigits = stackalloc byte[20];
        return FrameLength(update, RetryDigits(update, retryDigits));
    }

    private static int RetryDigits(Update update, Span<byte> digits)
    {
        var length = 0;
        if (update.Retry is { } retry && !retry.TryFormat(digits, out length))
        {
            throw new ArgumentOutOfRangeException(nameof(update), "retry does not fit");
        }

        return length;
    }

    private static int FrameLength(Update update, int retryLength)
    {
        var type = update.Type.AsSpan();
        return (type.IsEmpty ? 0 : EventField.Length + Utf8.GetByteCount(type) + 1)
            + (update.Retry is null ? 0 : RetryField.Length + retryLength + 1)
            + IdField.Length + Utf8.GetByteCount(update.Id.AsSpan()) + 1
            + DataLinesLength(update.Data.AsSpan())
            + 1;
    }

    private static ReadOnlySpan<byte> EventField => "event: "u8;

    private static ReadOnlySpan<byte> RetryField => "retry: "u8;

    private static ReadOnlySpan<byte> IdField => "id: "u8;

    private static ReadOnlySpan<byte> DataField => "data: "u8;

    private static int DataLinesLength(ReadOnlySpan<char> data)
    {
        var length = 0;
        foreach (var line in new LineEnumerator(data))
        {
            length += DataField.Length + Utf8.GetByteCount(line) + 1;
        }

        return length;
    }

    private static Span<byte> WriteField(Span<byte> destination, ReadOnlySpan<byte> name, ReadOnlySpan<char> value)
    {
        name.CopyTo(destination);
        var written = name.Length + Utf8.GetBytes(value, destination[name.Length..]);
        destination[written] = (byte)'\n';
        return destination[(written + 1)..];
    }

    /// <summary>The lines of the data split on CRLF, CR or LF; empty data is one empty line.</summary>
    private ref struct LineEnumerator(ReadOnlySpan<char> rest)
    {
        private ReadOnlySpan<char> _rest = rest;
        private bool _done;

        public ReadOnlySpan<char> Current { get; private set; }

        public readonly LineEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_done)
            {
                return false;
            }

            var end = _rest.IndexOfAny('\r', '\n');
            if (end < 0)
            {
                Current = _rest;
                _done = true;
                return true;
            }

            Current = _rest[..end];
            var skip = _rest[end] == '\r' && end + 1 < _rest.Length && _rest[end + 1] == '\n' ? 2 : 1;
            _rest = _rest[(end + skip)..];
            return true;
        }
    }

    /// <summary>A frame's shared compressed form: the deflate blocks to send and the CRC-32 of what they decompress to.</summary>
    internal sealed record Compressed(byte[] Blocks, uint Crc);
}
