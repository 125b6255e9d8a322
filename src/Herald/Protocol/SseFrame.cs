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
    public static readonly SseFrame Heartbeat = new(NoPosition, ":\n\n"u8.ToArray());

    private SseFrame(long position, byte[] bytes)
    {
        Position = position;
        Bytes = bytes;
    }

    /// <summary>Store position of the update; <see cref="NoPosition"/> for comments.</summary>
    public long Position { get; }

    public ReadOnlyMemory<byte> Bytes { get; }

    public int Length => Bytes.Length;

    /// <summary>A comment frame (<c>: text</c>); the text must not contain line breaks.</summary>
    public static SseFrame Comment(string text) => new(NoPosition, Utf8.GetBytes($": {text}\n\n"));

    /// <summary>A bare <c>retry:</c> field telling the client how long to wait before reconnecting.</summary>
    public static SseFrame RetryHint(long milliseconds) => new(NoPosition, Utf8.GetBytes($"retry: {milliseconds}\n\n"));

    /// <summary>
    /// Serializes an update: optional <c>event:</c>, optional <c>retry:</c>, <c>id:</c>, one <c>data:</c> line per line of data
    /// (split on CRLF, CR or LF, so no data can inject fields), then a blank line.
    /// </summary>
    public static SseFrame ForUpdate(long position, Update update)
    {
        var builder = new StringBuilder(update.Data.Length + 64);
        if (!string.IsNullOrEmpty(update.Type))
        {
            builder.Append("event: ").Append(update.Type).Append('\n');
        }

        if (update.Retry is { } retry)
        {
            builder.Append("retry: ").Append(retry).Append('\n');
        }

        builder.Append("id: ").Append(update.Id).Append('\n');
        AppendDataLines(builder, update.Data);
        builder.Append('\n');
        return new SseFrame(position, Utf8.GetBytes(builder.ToString()));
    }

    private static void AppendDataLines(StringBuilder builder, string data)
    {
        var rest = data.AsSpan();
        while (true)
        {
            var end = rest.IndexOfAny('\r', '\n');
            builder.Append("data: ").Append(end < 0 ? rest : rest[..end]).Append('\n');
            if (end < 0)
            {
                return;
            }

            var skip = rest[end] == '\r' && end + 1 < rest.Length && rest[end + 1] == '\n' ? 2 : 1;
            rest = rest[(end + skip)..];
        }
    }
}
