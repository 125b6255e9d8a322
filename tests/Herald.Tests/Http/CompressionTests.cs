using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

/// <summary>Gzip streams: negotiated per stream, each event readable at once, and a trailer that checks when the hub ends the stream.</summary>
public class CompressionTests
{
    private const string Topic = "https://example.com/bundle";

    [Fact]
    public async Task A_gzip_stream_delivers_each_event_at_once_and_ends_with_a_valid_trailer()
    {
        var hub = await TestHub.StartAsync(o => (o.Compression, o.Anonymous) = (true, true));
        await using var _ = hub;
        using var response = await OpenAsync(hub, "gzip, br");
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);

        // Decompressed as it arrives: each event must be readable before the next one is published.
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(new GZipStream(body, CompressionMode.Decompress), Encoding.UTF8);
        Assert.Equal(":", await reader.ReadLineAsync());
        Assert.Equal(string.Empty, await reader.ReadLineAsync());
        var big = "{\"bots\":[" + string.Join(",", Enumerable.Range(0, 2000).Select(i => $"{{\"id\":{i},\"ok\":true}}")) + "]}";
        foreach (var data in new[] { "small", big, "é ünïcode" })
        {
            var id = await hub.PublishAsync(Topic, data);
            Assert.Equal(string.Empty, await ReadUntilBlankAsync(reader, $"id: {id}", $"data: {data}"));
        }

        // A graceful stop ends every stream with a retry: then the trailer, which GZipStream checks (CRC-32 and length).
        var stopping = hub.App.StopAsync();
        var rest = await reader.ReadToEndAsync().WaitAsync(SseStream.WaitLimit);
        await stopping;
        Assert.StartsWith("retry: ", rest.TrimStart('\n'), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_gzip_in_accept_encoding_or_with_compression_off_the_stream_is_plain()
    {
        await using var on = await TestHub.StartAsync(o => (o.Compression, o.Anonymous) = (true, true));
        await using var off = await TestHub.StartAsync(o => o.Anonymous = true);

        using var notAsked = await OpenAsync(on, "identity");
        using var refused = await OpenAsync(on, "gzip;q=0");
        using var disabled = await OpenAsync(off, "gzip");

        Assert.Empty(notAsked.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", notAsked.Headers.Vary);
        Assert.Empty(refused.Content.Headers.ContentEncoding);
        Assert.Empty(disabled.Content.Headers.ContentEncoding);
        Assert.Empty(disabled.Headers.Vary);
    }

    [Fact]
    public async Task Curl_compressed_accepts_the_whole_stream_trailer_included()
    {
        var hub = await TestHub.StartAsync(o => (o.Compression, o.Anonymous) = (true, true));
        await using var _ = hub;
        var url = new Uri(hub.HubUrl, "?topic=" + Uri.EscapeDataString(Topic));
        var info = new ProcessStartInfo("curl", ["--compressed", "-sS", "-N", "--max-time", "20", url.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var curl = Process.Start(info)!;
        var output = curl.StandardOutput.ReadToEndAsync();
        await hub.WaitForStreamsAsync(1);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await hub.PublishAsync(Topic, "update " + i));
        }

        await hub.WaitForDispatchAsync(3);
        await hub.App.StopAsync();
        await curl.WaitForExitAsync().WaitAsync(SseStream.WaitLimit);

        // curl fails (exit 23 or 61) on a bad CRC or length; 0 means the trailer checked.
        Assert.True(curl.ExitCode == 0, await curl.StandardError.ReadToEndAsync());
        var text = await output;
        Assert.All(ids, id => Assert.Contains("id: " + id, text, StringComparison.Ordinal));
        Assert.Contains("retry: ", text, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> OpenAsync(TestHub hub, string acceptEncoding)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, TestHub.HubPath + "?topic=" + Uri.EscapeDataString(Topic));
        request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        return hub.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(SseStream.WaitLimit);
    }

    /// <summary>Reads the lines of one event, asserting they are the expected ones, and returns the blank line ending it.</summary>
    private static async Task<string?> ReadUntilBlankAsync(StreamReader reader, params string[] expected)
    {
        foreach (var line in expected)
        {
            Assert.Equal(line, await reader.ReadLineAsync().WaitAsync(SseStream.WaitLimit));
        }

        return await reader.ReadLineAsync().WaitAsync(SseStream.WaitLimit);
    }
}
