using System.Buffers.Text;
using System.Text;

namespace Herald.Cli.Bench;

/// <summary>
/// What every published update carries: its sequence number and send time (a <see cref="System.Diagnostics.Stopwatch"/>
/// timestamp; publisher and subscribers share this process, so the clocks agree), padded to the payload size.
/// </summary>
internal readonly record struct Stamp(long Sequence, long SentAt)
{
    public static readonly Stamp None = new(-1, 0);

    public static string Create(long sequence, long sentAt, int size)
    {
        var head = $"{sequence} {sentAt} ";
        return head.Length >= size ? head : head + new string('x', size - head.Length);
    }

    /// <summary>Reads <c>seq timestamp …</c> without allocating; anything else (another server's events) is <see cref="None"/>.</summary>
    public static Stamp Parse(ReadOnlySpan<byte> data)
    {
        if (!Utf8Parser.TryParse(data, out long sequence, out var used) || used >= data.Length || data[used] != (byte)' ')
        {
            return None;
        }

        data = data[(used + 1)..];
        return Utf8Parser.TryParse(data, out long sentAt, out _) ? new Stamp(sequence, sentAt) : None;
    }

    public static int HeadLength(long sequence, long sentAt) => Encoding.ASCII.GetByteCount($"{sequence} {sentAt} ");
}
