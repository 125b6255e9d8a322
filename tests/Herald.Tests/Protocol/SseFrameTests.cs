using System.Text;
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
}
