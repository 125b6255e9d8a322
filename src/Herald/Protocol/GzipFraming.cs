using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Herald.Protocol;

/// <summary>
/// Gzip for SSE streams at the cost of one compression per update, not per subscriber. Each frame is compressed once,
/// by a fresh compressor, into raw-deflate blocks that end on a sync flush (byte-aligned, no reference to anything
/// before or after), so every stream can send the same bytes; a stream writes its own gzip header first and, when it
/// ends, a final empty block and a trailer whose CRC-32 and length cover what it sent, combined from the frames'
/// CRCs. No compression context spans two updates: one subscriber's data can never shape another's bytes (BREACH).
/// Frames too small to gain go out as stored blocks.
/// </summary>
internal static class GzipFraming
{
    /// <summary>Frames under this many bytes are stored, not compressed: deflate's block overhead outweighs any gain.</summary>
    public const int StoreBelow = 64;

    /// <summary>ID1 ID2, CM deflate, no flags, no mtime, XFL 0, OS unknown.</summary>
    public static ReadOnlySpan<byte> Header => [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff];

    /// <summary>The frame's bytes as self-contained, sync-flushed raw deflate (or stored blocks when small).</summary>
    public static byte[] Deflate(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < StoreBelow)
        {
            return Stored(frame);
        }

        using var buffer = new MemoryStream(frame.Length / 2 + 16);
        // Optimal, not Fastest: the work is once per update whatever the number of streams (measured on 187 KB of JSON:
        // 5.9x, against 3.8x with Fastest).
        var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true);
        deflate.Write(frame);

        // Flush is a sync flush: everything so far, then an empty stored block, byte-aligned. What disposing adds after
        // it (the final block) is not ours to send: the stream's end writes its own.
        deflate.Flush();
        var length = (int)buffer.Length;
        deflate.Dispose();
        var deflated = buffer.GetBuffer().AsSpan(0, length);
        return deflated.Length < frame.Length + 5 ? deflated.ToArray() : Stored(frame);
    }

    /// <summary>Non-final stored blocks carrying <paramref name="data"/> as is.</summary>
    public static byte[] Stored(ReadOnlySpan<byte> data)
    {
        var blocks = Math.Max(1, (data.Length + ushort.MaxValue - 1) / ushort.MaxValue);
        var output = new byte[data.Length + (5 * blocks)];
        var at = 0;
        do
        {
            var take = Math.Min(data.Length, ushort.MaxValue);
            output[at] = 0x00; // BFINAL 0, BTYPE 00 (stored), then padding to the byte
            BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at + 1), (ushort)take);
            BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at + 3), (ushort)~take);
            data[..take].CopyTo(output.AsSpan(at + 5));
            at += 5 + take;
            data = data[take..];
        }
        while (!data.IsEmpty);

        return output;
    }

    public static uint Crc(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(data);

    /// <summary>
    /// The end of a stream: a final empty stored block, then the trailer: the CRC-32 and the length (mod 2³²) of
    /// everything the stream sent, uncompressed.
    /// </summary>
    public static byte[] Trailer(uint crc, long length)
    {
        var trailer = new byte[13];
        trailer[0] = 0x01; // BFINAL 1, stored, empty
        BinaryPrimitives.WriteUInt16LittleEndian(trailer.AsSpan(1), 0);
        BinaryPrimitives.WriteUInt16LittleEndian(trailer.AsSpan(3), 0xffff);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(5), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(9), unchecked((uint)length));
        return trailer;
    }

    /// <summary>
    /// The CRC-32 of A followed by B, from the CRC of A, the CRC of B and B's length, without reading either: zlib's
    /// <c>crc32_combine</c>, which appends <paramref name="lengthB"/> zero bytes to A's CRC by squaring the matrix
    /// of the CRC's linear shift (O(log length) 32×32 bit-matrix products), then adds B's.
    /// </summary>
    public static uint Combine(uint crcA, uint crcB, long lengthB)
    {
        if (lengthB <= 0)
        {
            return crcA;
        }

        Span<uint> even = stackalloc uint[32];
        Span<uint> odd = stackalloc uint[32];

        // The operator for one zero bit: the reflected CRC-32 polynomial, then the identity shifted by one.
        odd[0] = 0xedb88320;
        uint row = 1;
        for (var n = 1; n < 32; n++)
        {
            odd[n] = row;
            row <<= 1;
        }

        Square(even, odd); // two zero bits
        Square(odd, even); // four zero bits

        // Apply the operator for one zero byte, then for two, four…, wherever lengthB has a bit set.
        do
        {
            Square(even, odd);
            if ((lengthB & 1) != 0)
            {
                crcA = Times(even, crcA);
            }

            lengthB >>= 1;
            if (lengthB == 0)
            {
                break;
            }

            Square(odd, even);
            if ((lengthB & 1) != 0)
            {
                crcA = Times(odd, crcA);
            }

            lengthB >>= 1;
        }
        while (lengthB != 0);

        return crcA ^ crcB;
    }

    private static uint Times(ReadOnlySpan<uint> matrix, uint vector)
    {
        uint sum = 0;
        for (var i = 0; vector != 0; i++, vector >>= 1)
        {
            if ((vector & 1) != 0)
            {
                sum ^= matrix[i];
            }
        }

        return sum;
    }

    private static void Square(Span<uint> square, ReadOnlySpan<uint> matrix)
    {
        for (var n = 0; n < 32; n++)
        {
            square[n] = Times(matrix, matrix[n]);
        }
    }
}
