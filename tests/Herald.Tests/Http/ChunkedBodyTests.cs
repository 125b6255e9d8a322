using System.Text;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

/// <summary>
/// Chunked publishes over a bare socket: the size limit counts the payload, never the chunk framing, whatever the
/// chunk sizes; framing beyond what any chunking needs (chunk extensions) is bounded, so it cannot stream forever.
/// </summary>
public sealed class ChunkedBodyTests
{
    private const string Topic = "https://example.com/books/1";

    [Theory]
    [InlineData(1024, 1)]
    [InlineData(1024, 3)]
    [InlineData(64 * 1024, 1)]
    public async Task A_payload_at_the_limit_in_tiny_chunks_is_accepted_and_delivered_whole(int limit, int chunkSize)
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxRequestBodySize = limit);
        await using var watcher = await hub.SubscribeAsync([Topic], hub.SubscriberToken("*"));
        var (payload, data) = Form(limit);

        var answer = await RawHttp.PostChunkedAsync(hub, hub.PublisherToken(), RawHttp.Chunked(payload, chunkSize));

        Assert.True(answer.Status == 200, $"{answer.Status}: {answer.Body}");
        Assert.Equal(data, (await watcher.NextAsync()).Data);
    }

    [Fact]
    public async Task One_payload_byte_over_the_limit_in_1_byte_chunks_is_413_naming_the_limit()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxRequestBodySize = 1024);
        var (payload, _) = Form(1025);

        var answer = await RawHttp.PostChunkedAsync(hub, hub.PublisherToken(), RawHttp.Chunked(payload, 1));

        Assert.Equal(413, answer.Status);
        Assert.Contains("1024 bytes", answer.Body);
    }

    [Fact]
    public async Task A_payload_under_the_limit_with_hex_padded_chunk_sizes_is_accepted()
    {
        // "00000001\r\n": the longest chunk-size line Kestrel reads, on every byte: still no extension, still accepted.
        await using var hub = await TestHub.StartAsync(o => o.MaxRequestBodySize = 1024);
        var (payload, _) = Form(1024);
        var framed = new MemoryStream();
        foreach (var b in payload)
        {
            framed.Write("00000001\r\n"u8);
            framed.WriteByte(b);
            framed.Write("\r\n"u8);
        }

        framed.Write("0\r\n\r\n"u8);

        var answer = await RawHttp.PostChunkedAsync(hub, hub.PublisherToken(), framed.ToArray());

        Assert.True(answer.Status == 200, $"{answer.Status}: {answer.Body}");
    }

    [Fact]
    public async Task Framing_beyond_any_chunking_of_the_payload_is_413_saying_so_and_the_connection_ends()
    {
        // A small payload whose every 1-byte chunk drags 300 bytes of chunk extension: framing without end.
        await using var hub = await TestHub.StartAsync(o => o.MaxRequestBodySize = 1024);
        var (payload, _) = Form(200);

        var answer = await RawHttp.PostChunkedAsync(hub, hub.PublisherToken(), RawHttp.Chunked(payload, 1, ";" + new string('x', 300)));

        Assert.Equal(413, answer.Status);
        Assert.Contains("framing", answer.Body);
        Assert.DoesNotContain('\n', answer.Body.TrimEnd('\n'));
    }

    /// <summary>A form of exactly <paramref name="length"/> bytes: a topic and data of x's.</summary>
    private static (byte[] Payload, string Data) Form(int length)
    {
        var prefix = "topic=" + Uri.EscapeDataString(Topic) + "&data=";
        var data = new string('x', length - prefix.Length);
        return (Encoding.ASCII.GetBytes(prefix + data), data);
    }
}
