using System.Net;
using System.Net.Sockets;
using System.Text;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Http;

/// <summary>
/// Ids are IRIs (the Mercure 1.0 draft allows them): a non-ASCII id travels as UTF-8 in the SSE body, in the
/// <c>Last-Event-ID</c> request header a reconnecting EventSource sends, and in the header the hub answers.
/// </summary>
public class NonAsciiIdTests
{
    private const string Topic = "https://example.com/books/1";
    private const string Id = "é-2";

    [Fact]
    public async Task A_non_ascii_id_and_type_are_delivered_as_published()
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync([Topic]);

        Assert.Equal(Id, await hub.PublishAsync(Topic, "one", id: Id, type: "événement"));

        var item = await stream.NextAsync();
        Assert.Equal(Id, item.EventId);
        Assert.Equal("événement", item.EventType);
    }

    /// <summary>What EventSource sends on reconnect: the id's UTF-8 bytes in <c>Last-Event-ID</c>. Raw bytes both ways.</summary>
    [Fact]
    public async Task Resuming_with_a_utf8_Last_Event_ID_header_answers_200_and_echoes_the_id_as_utf8()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync(Topic, "one", id: Id);
        await hub.PublishAsync(Topic, "two");

        await using var raw = await RawSubscribeAsync(hub, Encoding.UTF8.GetBytes(Id));

        Assert.True(raw.Head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), raw.Head);
        Assert.Contains("\r\nLast-Event-ID: " + Id + "\r\n", raw.Head, StringComparison.OrdinalIgnoreCase);
        var body = await raw.ReadUntilAsync("data: two\n");
        Assert.DoesNotContain("data: one", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resuming_with_a_non_ascii_lastEventID_query_parameter_echoes_the_id_as_utf8()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync(Topic, "one", id: Id);
        await hub.PublishAsync(Topic, "two");
        using var client = new HttpClient(new SocketsHttpHandler { ResponseHeaderEncodingSelector = (_, _) => Encoding.UTF8 }) { BaseAddress = hub.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Get, $"{TestHub.HubPath}?topic={Uri.EscapeDataString(Topic)}&lastEventID={Uri.EscapeDataString(Id)}");
        request.Headers.Authorization = new("Bearer", hub.SubscriberToken());

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(SseStream.WaitLimit);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Id, Assert.Single(response.Headers.GetValues("Last-Event-ID")));
        Assert.Equal(Id, Assert.Single(response.Headers.GetValues("Mercure-Last-Event-ID")));
    }

    /// <summary>A cursor that is not UTF-8 (a Latin-1 <c>é</c>, as <c>fetch</c> would send it) is an unknown id, not an error.</summary>
    [Fact]
    public async Task A_Last_Event_ID_that_is_not_utf8_resumes_as_an_unknown_id()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync(Topic, "one", id: Id);

        await using var raw = await RawSubscribeAsync(hub, [0xE9, (byte)'-', (byte)'2']);

        Assert.True(raw.Head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), raw.Head);
        Assert.Contains("\r\nLast-Event-ID: earliest\r\n", raw.Head, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("a\u0001b")]
    [InlineData("a\u007Fb")]
    [InlineData("a\u0085b")]
    [InlineData("a\u200Bb")]
    [InlineData("a\u202Eb")]
    public async Task A_cursor_with_control_or_format_characters_resumes_as_an_unknown_id(string cursor)
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync(Topic, "one");

        await using var header = await RawSubscribeAsync(hub, Encoding.UTF8.GetBytes(cursor));
        var request = new HttpRequestMessage(HttpMethod.Get, $"{TestHub.HubPath}?topic={Uri.EscapeDataString(Topic)}&lastEventID={Uri.EscapeDataString(cursor)}");
        request.Headers.Authorization = new("Bearer", hub.SubscriberToken());
        using var query = await hub.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(SseStream.WaitLimit);

        Assert.True(header.Head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), header.Head);
        Assert.Contains("\r\nLast-Event-ID: earliest\r\n", header.Head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        Assert.Equal("earliest", Assert.Single(query.Headers.GetValues("Last-Event-ID")));
    }

    [Fact]
    public void AddHerald_makes_Kestrel_carry_Last_Event_ID_as_utf8_and_keeps_the_hosts_selectors_for_other_headers()
    {
        var services = new ServiceCollection();
        services.AddHerald();
        services.Configure<KestrelServerOptions>(k =>
        {
            k.RequestHeaderEncodingSelector = name => name == "X-Legacy" ? Encoding.Latin1 : null;
            k.ResponseHeaderEncodingSelector = name => name is "X-Legacy" or "last-event-id" ? Encoding.Latin1 : null;
        });
        using var provider = services.BuildServiceProvider();

        var kestrel = provider.GetRequiredService<IOptions<KestrelServerOptions>>().Value;

        foreach (var name in new[] { "Last-Event-ID", "last-event-id", "LAST-EVENT-ID" })
        {
            Assert.Equal(Encoding.UTF8.WebName, kestrel.RequestHeaderEncodingSelector(name)?.WebName);
            Assert.Equal(Encoding.UTF8.WebName, kestrel.ResponseHeaderEncodingSelector(name)?.WebName);
        }

        Assert.Same(Encoding.Latin1, kestrel.RequestHeaderEncodingSelector("X-Legacy"));
        Assert.Same(Encoding.Latin1, kestrel.ResponseHeaderEncodingSelector("X-Legacy"));
        Assert.Null(kestrel.RequestHeaderEncodingSelector("Authorization"));
        Assert.Null(kestrel.ResponseHeaderEncodingSelector("Content-Type"));
    }

    /// <summary>A subscribe request written byte by byte, so the <c>Last-Event-ID</c> value is exactly the given bytes.</summary>
    private static async Task<RawStream> RawSubscribeAsync(TestHub hub, byte[] lastEventId)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(hub.BaseAddress.Host, hub.BaseAddress.Port);
        var head = Encoding.ASCII.GetBytes(
            $"GET {TestHub.HubPath}?topic={Uri.EscapeDataString(Topic)} HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\n"
            + $"Authorization: Bearer {hub.SubscriberToken()}\r\nLast-Event-ID: ");
        await socket.SendAsync(head.Concat(lastEventId).Concat("\r\n\r\n"u8.ToArray()).ToArray());
        var stream = new RawStream(socket);
        await stream.ReadHeadAsync();
        return stream;
    }

    private sealed class RawStream(Socket socket) : IAsyncDisposable
    {
        private readonly List<byte> _received = [];
        private int _headLength;

        /// <summary>The status line and headers, decoded as UTF-8 (a Latin-1 byte would show as U+FFFD).</summary>
        public string Head { get; private set; } = "";

        public async Task ReadHeadAsync()
        {
            while (IndexOf("\r\n\r\n"u8) is var end && end < 0)
            {
                if (!await ReceiveAsync())
                {
                    break;
                }
            }

            var at = IndexOf("\r\n\r\n"u8);
            _headLength = at < 0 ? _received.Count : at + 4;
            Head = Encoding.UTF8.GetString(_received.GetRange(0, _headLength).ToArray());
        }

        public async Task<string> ReadUntilAsync(string text)
        {
            while (true)
            {
                var body = Encoding.UTF8.GetString(_received.GetRange(_headLength, _received.Count - _headLength).ToArray());
                if (body.Contains(text, StringComparison.Ordinal))
                {
                    return body;
                }

                if (!await ReceiveAsync())
                {
                    throw new InvalidOperationException($"the stream ended before \"{text}\"; received:\n{body}");
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task<bool> ReceiveAsync()
        {
            var buffer = new byte[4096];
            var read = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(SseStream.WaitLimit);
            _received.AddRange(buffer.AsSpan(0, read));
            return read > 0;
        }

        private int IndexOf(ReadOnlySpan<byte> value) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_received).IndexOf(value);
    }
}
