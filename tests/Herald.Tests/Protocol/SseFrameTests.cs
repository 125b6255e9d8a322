using System.Text;
using CsCheck;
using Herald.Protocol;

namespace Herald.Tests.Protocol;

public class SseFrameTests
{
    [Theory]
    [InlineData("", "id: x\ndata: \n\n")]
    [InlineData("a", "id: x\ndata: a\n\n")]
    [InlineData("a\n", "id: x\ndata: a\ndata: \n\n")]
    [InlineData("a\r\nb\rc\nd", "id: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n")]
    [InlineData("\n\nid: forged\nevent: evil", "id: x\ndata: \ndata: \ndata: id: forged\ndata: event: evil\n\n")]
    [InlineData("héllo ✓ 😀", "id: x\ndata: héllo ✓ 😀\n\n")]
    public void Data_becomes_one_data_line_per_line(string data, string expected)
    {
        var frame = SseFrame.ForUpdate(1, new Update { Topics = ["t"], Id = "x", Data = data });

        Assert.Equal(expected, Encoding.UTF8.GetString(frame.Bytes.Span));
    }

    [Fact]
    public void Type_and_retry_come_before_the_id()
    {
        var frame = SseFrame.ForUpdate(7, new Update { Topics = ["t"], Id = "x", Data = "d", Type = "kind", Retry = 1234567890123 });

        Assert.Equal("event: kind\nretry: 1234567890123\nid: x\ndata: d\n\n", Encoding.UTF8.GetString(frame.Bytes.Span));
        Assert.Equal(7, frame.Position);
    }

    [Fact]
    public void Every_frame_is_also_exactly_one_HTTP_chunk_of_its_bytes()
    {
        // Sizes across hex-digit boundaries (15/16, 255/256, 4095/4096 bytes) and any text, with every kind of frame.
        var data = Gen.OneOf(Gen.String, Gen.Char.Array[0, 5000].Select(c => new string(c)), Gen.Int[0, 70_000].Select(n => new string('x', n)));
        Gen.Select(data, Gen.String[0, 20], Gen.Bool).Sample((text, type, matches) =>
        {
            var frame = SseFrame.ForUpdate(1, new Update { Topics = ["t"], Id = "x", Data = text, Type = type.Replace('\n', ' ').Replace('\r', ' ') });
            if (matches)
            {
                frame = SseFrame.WithMatches(frame, "0,2");
            }

            AssertOneChunk(frame);
        });

        foreach (var frame in new[] { SseFrame.Heartbeat, SseFrame.Comment("c"), SseFrame.RetryHint(100), SseFrame.CursorOnly("x"), SseFrame.RetainedCut(3) })
        {
            AssertOneChunk(frame);
        }
    }

    private static void AssertOneChunk(SseFrame frame)
    {
        var chunk = frame.Chunk.Span;
        var sizeEnd = chunk.IndexOf("\r\n"u8);
        var size = Convert.ToInt32(Encoding.ASCII.GetString(chunk[..sizeEnd]), 16);
        Assert.Equal(frame.Length, size);
        Assert.True(chunk[(sizeEnd + 2)..^2].SequenceEqual(frame.Bytes.Span));
        Assert.True(chunk[^2..].SequenceEqual("\r\n"u8));
        Assert.Equal(sizeEnd + 2 + size + 2, chunk.Length);
    }
}
