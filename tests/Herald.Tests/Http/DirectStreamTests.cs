using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Herald.Http;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Http;

/// <summary>
/// On HTTP/1.1 the hub frames a stream's chunks itself and writes them to the connection past Kestrel's response
/// writer: on the wire that must be exactly a chunked response, ended with the last chunk so the connection can carry
/// the next request; anything that must see the body (a compression middleware) and HTTP/1.0 get the ordinary path.
/// </summary>
public sealed class DirectStreamTests
{
    private const string Topic = "https://example.com/books/1";

    [Fact]
    public async Task Every_frame_is_one_well_formed_chunk_a_graceful_end_sends_the_last_chunk_and_the_connection_carries_the_next_request()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxConnectionLifetime = TimeSpan.FromMinutes(10), fakeTime: true);
        await using var connection = await RawConnection.OpenAsync(hub);
        await connection.SendAsync($"GET {TestHub.HubPath}?topic={Uri.EscapeDataString(Topic)} HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\nAuthorization: Bearer {hub.SubscriberToken("*")}\r\n\r\n");
        var head = await connection.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.Contains("Transfer-Encoding: chunked", head);
        Assert.Equal(":\n\n", await connection.ReadChunkAsync());

        var first = await hub.PublishAsync(Topic, "one");
        Assert.Equal($"id: {first}\ndata: one\n\n", await connection.ReadChunkAsync());
        var second = await hub.PublishAsync(Topic, "two\nlines, non-ASCII: é ✓");
        Assert.Equal($"id: {second}\ndata: two\ndata: lines, non-ASCII: é ✓\n\n", await connection.ReadChunkAsync());

        // The lifetime ends the stream gracefully: a retry hint, then the last chunk (heartbeats may come first: time jumped).
        hub.Time!.Advance(TimeSpan.FromMinutes(10));
        var chunk = await connection.ReadChunkAsync();
        while (chunk == ":\n\n")
        {
            chunk = await connection.ReadChunkAsync();
        }

        Assert.Matches(@"^retry: \d+\n\n$", chunk);
        Assert.Equal("", await connection.ReadChunkAsync());

        await connection.SendAsync($"GET {TestHub.HubPath}?topic={Uri.EscapeDataString(Topic)} HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\nAuthorization: Bearer {hub.SubscriberToken("*")}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", await connection.ReadHeadAsync());
        Assert.Equal(":\n\n", await connection.ReadChunkAsync());
        var third = await hub.PublishAsync(Topic, "on the same connection");
        Assert.Equal($"id: {third}\ndata: on the same connection\n\n", await connection.ReadChunkAsync());
    }

    [Fact]
    public async Task Replay_and_live_frames_arrive_as_chunks_in_order()
    {
        await using var hub = await TestHub.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await hub.PublishAsync(Topic, "missed " + i));
        }

        await using var connection = await RawConnection.OpenAsync(hub);
        await connection.SendAsync($"GET {TestHub.HubPath}?topic={Uri.EscapeDataString(Topic)} HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\nAuthorization: Bearer {hub.SubscriberToken("*")}\r\nLast-Event-ID: earliest\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", await connection.ReadHeadAsync());
        Assert.Equal(":\n\n", await connection.ReadChunkAsync());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal($"id: {ids[i]}\ndata: missed {i}\n\n", await connection.ReadChunkAsync());
        }

        var live = await hub.PublishAsync(Topic, "live");
        Assert.Equal($"id: {live}\ndata: live\n\n", await connection.ReadChunkAsync());
    }

    [Fact]
    public async Task An_HTTP_1_0_stream_is_not_chunked_and_runs_to_the_end_of_the_connection()
    {
        await using var hub = await TestHub.StartAsync();
        await using var connection = await RawConnection.OpenAsync(hub);
        await connection.SendAsync($"GET {TestHub.HubPath}?topic={Uri.EscapeDataString(Topic)} HTTP/1.0\r\nHost: {hub.BaseAddress.Authority}\r\nAuthorization: Bearer {hub.SubscriberToken("*")}\r\n\r\n");
        var head = await connection.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.DoesNotContain("Transfer-Encoding", head);
        Assert.Equal(":\n\n", await connection.ReadExactlyAsync(3));

        var id = await hub.PublishAsync(Topic, "plain");
        var frame = $"id: {id}\ndata: plain\n\n";
        Assert.Equal(frame, await connection.ReadExactlyAsync(Encoding.UTF8.GetByteCount(frame)));
    }

    [Fact]
    public async Task A_compression_middleware_in_front_of_the_hub_still_compresses_the_stream()
    {
        // The hub's own compression is off; the application's middleware wraps the response body, so the hub must write
        // through it rather than to the connection.
        await using var hub = await TestHub.StartAsync(
            services: s => s.AddResponseCompression(o => o.MimeTypes = ["text/event-stream"]),
            pipeline: app => app.UseResponseCompression());
        using var client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = hub.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{TestHub.HubPath}?topic={Uri.EscapeDataString(Topic)}");
        request.Headers.Authorization = new("Bearer", hub.SubscriberToken("*"));
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));

        await using var body = await response.Content.ReadAsStreamAsync();
        await using var gunzip = new GZipStream(body, CompressionMode.Decompress);
        using var reader = new StreamReader(gunzip);
        await hub.WaitForStreamsAsync(1);
        var id = await hub.PublishAsync(Topic, "through the middleware");
        using var limit = new CancellationTokenSource(SseStream.WaitLimit);
        var seen = new StringBuilder();
        while (!seen.ToString().Contains("data: through the middleware\n\n", StringComparison.Ordinal))
        {
            var line = await reader.ReadLineAsync(limit.Token);
            Assert.NotNull(line);
            seen.Append(line).Append('\n');
        }

        Assert.Contains($"id: {id}\n", seen.ToString());
    }

    [Fact]
    public async Task The_hub_writes_to_the_connection_itself_only_on_HTTP_1_1_with_the_servers_own_response_body()
    {
        await using var hub = await TestHub.StartAsync(pipeline: app =>
        {
            app.MapGet("/probe", (HttpContext context) => DirectStream.Applies(context) ? "direct" : "kestrel");
            app.MapGet("/probe-wrapped", (HttpContext context) =>
            {
                // What Response.Body = stream, and every body-wrapping middleware, does.
                context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(context.Response.Body));
                return DirectStream.Applies(context) ? "direct" : "kestrel";
            });
        });

        Assert.Equal("direct", await GetAsync(hub, "/probe", HttpVersion.Version11));
        Assert.Equal("kestrel", await GetAsync(hub, "/probe", HttpVersion.Version10));
        Assert.Equal("kestrel", await GetAsync(hub, "/probe-wrapped", HttpVersion.Version11));
    }

    private static async Task<string> GetAsync(TestHub hub, string path, Version version)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await hub.Client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>One HTTP/1.1 connection read strictly: a head, then chunks whose size lines must match their data.</summary>
    private sealed class RawConnection : IAsyncDisposable
    {
        private readonly TcpClient _client;
        private readonly NetworkStream _stream;
        private readonly CancellationTokenSource _limit = new(SseStream.WaitLimit);
        private readonly List<byte> _buffer = [];

        private RawConnection(TcpClient client)
        {
            _client = client;
            _stream = client.GetStream();
        }

        public static async Task<RawConnection> OpenAsync(TestHub hub)
        {
            var client = new TcpClient();
            await client.ConnectAsync(hub.BaseAddress.Host, hub.BaseAddress.Port);
            return new RawConnection(client);
        }

        public Task SendAsync(string request) => _stream.WriteAsync(Encoding.UTF8.GetBytes(request), _limit.Token).AsTask();

        public async Task<string> ReadHeadAsync()
        {
            var head = await ReadUntilAsync("\r\n\r\n"u8.ToArray());
            return Encoding.Latin1.GetString(head);
        }

        /// <summary>The next chunk's data; "" for the last chunk (then its closing CRLF is read too).</summary>
        public async Task<string> ReadChunkAsync()
        {
            var sizeLine = Encoding.ASCII.GetString(await ReadUntilAsync("\r\n"u8.ToArray()));
            Assert.Matches("^[0-9a-f]+$", sizeLine);
            var size = Convert.ToInt32(sizeLine, 16);
            var data = await ReadBytesAsync(size + 2);
            Assert.Equal("\r\n"u8.ToArray(), data[^2..]);
            return Encoding.UTF8.GetString(data, 0, size);
        }

        public async Task<string> ReadExactlyAsync(int count) => Encoding.UTF8.GetString(await ReadBytesAsync(count));

        private async Task<byte[]> ReadUntilAsync(byte[] end)
        {
            while (true)
            {
                var at = IndexOf(end);
                if (at >= 0)
                {
                    var bytes = _buffer.GetRange(0, at).ToArray();
                    _buffer.RemoveRange(0, at + end.Length);
                    return bytes;
                }

                await FillAsync();
            }
        }

        private async Task<byte[]> ReadBytesAsync(int count)
        {
            while (_buffer.Count < count)
            {
                await FillAsync();
            }

            var bytes = _buffer.GetRange(0, count).ToArray();
            _buffer.RemoveRange(0, count);
            return bytes;
        }

        private async Task FillAsync()
        {
            var chunk = new byte[4096];
            var read = await _stream.ReadAsync(chunk, _limit.Token);
            Assert.True(read > 0, "the hub closed the connection");
            _buffer.AddRange(chunk.AsSpan(0, read));
        }

        private int IndexOf(byte[] pattern)
        {
            for (var i = 0; i + pattern.Length <= _buffer.Count; i++)
            {
                var match = true;
                for (var j = 0; j < pattern.Length && match; j++)
                {
                    match = _buffer[i + j] == pattern[j];
                }

                if (match)
                {
                    return i;
                }
            }

            return -1;
        }

        public ValueTask DisposeAsync()
        {
            _limit.Dispose();
            _client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
