using System.IO.Compression;
using System.Text;
using Herald.Protocol;

namespace Herald.Tests.Protocol;

/// <summary>Frames compressed once each, concatenated per stream, make a gzip stream any decoder accepts, trailer included.</summary>
public class GzipFramingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void A_large_json_bundle_shrinks_severalfold_and_a_notification_never_grows_much()
    {
        var random = new Random(1);
        var bots = string.Join(",", Enumerable.Range(0, 1700).Select(i =>
            $"{{\"id\":{i},\"name\":\"bot-{i}\",\"status\":\"{new[] { "running", "idle", "error" }[random.Next(3)]}\",\"pnl\":{random.Next(-100000, 100000) / 100.0},\"trades\":{random.Next(5000)},\"updated\":\"2026-12-01T11:40:{random.Next(60):00}.{random.Next(1000):000}Z\"}}"));
        var bundle = Encoding.UTF8.GetBytes($"id: urn:uuid:01a2\ndata: {{\"bots\":[{bots}]}}\n\n");
        var note = Encoding.UTF8.GetBytes("id: urn:uuid:01a2313b-5107-71ba-8edd-c3380d1cfb90\ndata: {\"type\":\"order.updated\",\"order\":4242,\"status\":\"shipped\",\"at\":\"2026-12-01T11:40:00Z\"}\n\n");

        var bundleRatio = bundle.Length / (double)GzipFraming.Deflate(bundle).Length;
        var noteRatio = note.Length / (double)GzipFraming.Deflate(note).Length;
        output.WriteLine($"bundle {bundle.Length} B: {bundleRatio:F2}x; notification {note.Length} B: {noteRatio:F2}x");

        Assert.True(bundleRatio > 3, $"bundle ratio {bundleRatio:F2}");
        Assert.True(noteRatio > 0.95, $"notification ratio {noteRatio:F2}"); // stored when deflate would not help
    }

    [Fact]
    public void Concatenated_frames_decompress_to_what_was_sent_and_the_trailer_checks()
    {
        var random = new Random(7);
        var frames = new List<byte[]>
        {
            ":\n\n"u8.ToArray(),
            Encoding.UTF8.GetBytes("id: 1\ndata: " + new string('x', 10) + "\n\n"),
            Encoding.UTF8.GetBytes("id: 2\ndata: " + string.Concat(Enumerable.Range(0, 4000).Select(i => $"{{\"bot\":{i},\"ok\":true}}")) + "\n\n"),
            RandomBytes(random, 70_000), // incompressible and over one stored block
            Encoding.UTF8.GetBytes("id: é-3\ndata: ünïcode\n\n"),
        };

        var (stream, sent) = GzipStreamOf(frames);

        Assert.Equal(sent, Decompress(stream));
    }

    [Fact]
    public void A_wrong_trailer_is_caught_by_the_decoder_so_the_test_above_means_something()
    {
        var (stream, _) = GzipStreamOf([Encoding.UTF8.GetBytes("id: 1\ndata: " + new string('x', 500) + "\n\n")]);
        stream[^8] ^= 0x01; // one bit of the CRC

        Assert.Throws<InvalidDataException>(() => Decompress(stream));
    }

    [Fact]
    public void The_combined_crc_equals_the_crc_of_the_concatenation()
    {
        var random = new Random(11);
        for (var round = 0; round < 200; round++)
        {
            var a = RandomBytes(random, random.Next(0, 3000));
            var b = RandomBytes(random, random.Next(0, 3000));

            Assert.Equal(GzipFraming.Crc([.. a, .. b]), GzipFraming.Combine(GzipFraming.Crc(a), GzipFraming.Crc(b), b.Length));
        }
    }

    [Fact]
    public void Small_frames_are_stored_and_large_repetitive_ones_shrink()
    {
        var heartbeat = ":\n\n"u8.ToArray();
        var bundle = Encoding.UTF8.GetBytes("data: " + string.Concat(Enumerable.Repeat("{\"id\":1,\"status\":\"running\"},", 5000)) + "\n\n");

        Assert.Equal(heartbeat.Length + 5, GzipFraming.Deflate(heartbeat).Length);
        Assert.True(GzipFraming.Deflate(bundle).Length < bundle.Length / 20);
    }

    [Fact]
    public void Every_frame_is_compressed_alone_so_no_frame_shapes_another()
    {
        var secret = Encoding.UTF8.GetBytes("id: 1\ndata: " + new string('s', 200) + " token=abc123\n\n");
        var probe = Encoding.UTF8.GetBytes("id: 2\ndata: " + new string('s', 200) + " token=abc123\n\n");

        // The probe's bytes are the same whichever frame came before it: no shared dictionary.
        Assert.Equal(GzipFraming.Deflate(probe), GzipFraming.Deflate(probe));
        var (afterSecret, _) = GzipStreamOf([secret, probe]);
        var (alone, _) = GzipStreamOf([probe]);
        Assert.EndsWith(Convert.ToHexString(alone[GzipFraming.Header.Length..^13]), Convert.ToHexString(afterSecret[..^13]), StringComparison.Ordinal);
    }

    private static (byte[] Stream, byte[] Sent) GzipStreamOf(IReadOnlyList<byte[]> frames)
    {
        using var output = new MemoryStream();
        output.Write(GzipFraming.Header);
        uint crc = 0;
        long length = 0;
        foreach (var frame in frames)
        {
            output.Write(GzipFraming.Deflate(frame));
            crc = GzipFraming.Combine(crc, GzipFraming.Crc(frame), frame.Length);
            length += frame.Length;
        }

        output.Write(GzipFraming.Trailer(crc, length));
        return (output.ToArray(), frames.SelectMany(f => f).ToArray());
    }

    private static byte[] Decompress(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
