using System.Text;
using Herald.Deltas;

namespace Herald.Client;

/// <summary>
/// Passes a stream's bytes through to the SSE parser and notes, per frame, its <c>herald-delta</c> field (docs/deltas.md),
/// which the parser drops like any field it does not know. The parser yields a frame only once it read the blank line
/// that ends it, so by then this stream has seen the frame: <see cref="TakeDelta"/> for the frame's id answers it.
/// </summary>
internal sealed class DeltaFieldStream(Stream inner) : ReadOnlyStreamWrapper(inner)
{
    /// <summary>Only a line's start is kept (a data line may be megabytes): enough for the field name, an id, the field.</summary>
    private const int MaxLine = 4096;

    private static readonly byte[] FieldPrefix = Encoding.ASCII.GetBytes(JsonDelta.Field + ":");
    private static readonly byte[] IdPrefix = "id:"u8.ToArray();

    private readonly Dictionary<string, string> _deltas = new(StringComparer.Ordinal);
    private readonly byte[] _line = new byte[MaxLine];
    private int _lineLength;
    private bool _afterCr;
    private string? _frameId;
    private string? _frameDelta;

    /// <summary>The <c>herald-delta</c> field of the frame with this id, once; null for a whole update.</summary>
    public string? TakeDelta(string? id) => id is not null && _deltas.Remove(id, out var delta) ? delta : null;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Watch(buffer.Span[..read]);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = Inner.Read(buffer, offset, count);
        Watch(buffer.AsSpan(offset, read));
        return read;
    }


    private void Watch(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b == '\n' && _afterCr)
            {
                _afterCr = false;
                continue;
            }

            _afterCr = b == '\r';
            if (b is (byte)'\r' or (byte)'\n')
            {
                EndLine(_line.AsSpan(0, Math.Min(_lineLength, MaxLine)), _lineLength > MaxLine);
                _lineLength = 0;
            }
            else
            {
                if (_lineLength < MaxLine)
                {
                    _line[_lineLength] = b;
                }

                _lineLength++;
            }
        }
    }

    private void EndLine(ReadOnlySpan<byte> line, bool cut)
    {
        if (line.IsEmpty && !cut)
        {
            if (_frameId is not null && _frameDelta is not null)
            {
                // Bounded: a hub that sends fields for frames never yielded cannot grow this.
                if (_deltas.Count >= 64)
                {
                    _deltas.Clear();
                }

                _deltas[_frameId] = _frameDelta;
            }

            _frameId = null;
            _frameDelta = null;
            return;
        }

        if (!cut && line.StartsWith(IdPrefix))
        {
            _frameId = Value(line[IdPrefix.Length..]);
        }
        else if (!cut && line.StartsWith(FieldPrefix))
        {
            _frameDelta = Value(line[FieldPrefix.Length..]);
        }
    }

    private static string Value(ReadOnlySpan<byte> value) => Encoding.UTF8.GetString(value.Length > 0 && value[0] == ' ' ? value[1..] : value);
}
