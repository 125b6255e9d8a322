using System.Net.Sockets;
using System.Text;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// HTTP/1.1 over a bare socket, for requests HttpClient will not send: a body in 1-byte chunks, chunk extensions,
/// framing of any shape. Each request uses its own connection, closed by the hub after the answer.
/// </summary>
public static class RawHttp
{
    /// <summary>The answer's status and body (de-chunked).</summary>
    public readonly record struct Answer(int Status, string Body);

    /// <summary>A publish whose body is exactly <paramref name="framedBody"/>, after <c>Transfer-Encoding: chunked</c>.</summary>
    public static Task<Answer> PostChunkedAsync(TestHub hub, string token, byte[] framedBody) =>
        SendAsync(hub, Encoding.ASCII.GetBytes(
            $"POST {TestHub.HubPath} HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\nAuthorization: Bearer {token}\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"), framedBody);

    /// <summary><paramref name="payload"/> in chunks of <paramref name="chunkSize"/> bytes, each with <paramref name="extension"/> (e.g. <c>;x=1</c>), then the last chunk.</summary>
    public static byte[] Chunked(byte[] payload, int chunkSize, string extension = "")
    {
        var framed = new MemoryStream();
        for (var offset = 0; offset < payload.Length; offset += chunkSize)
        {
            var length = Math.Min(chunkSize, payload.Length - offset);
            framed.Write(Encoding.ASCII.GetBytes($"{length:x}{extension}\r\n"));
            framed.Write(payload, offset, length);
            framed.Write("\r\n"u8);
        }

        framed.Write("0\r\n\r\n"u8);
        return framed.ToArray();
    }

    /// <summary>
    /// Writes head and body while reading the answer, so an answer sent before the body is fully written (a refusal)
    /// is still read; gives up after <see cref="SseStream.WaitLimit"/>.
    /// </summary>
    public static async Task<Answer> SendAsync(TestHub hub, byte[] head, byte[] body)
    {
        using var timeout = new CancellationTokenSource(SseStream.WaitLimit);
        using var client = new TcpClient();
        await client.ConnectAsync(hub.BaseAddress.Host, hub.BaseAddress.Port, timeout.Token);
        var stream = client.GetStream();
        var writing = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(head, timeout.Token);
                await stream.WriteAsync(body, timeout.Token);
            }
            catch (IOException)
            {
                // The hub answered and closed early: what it answered is read below.
            }
        });

        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);
                if (TryParse(received.ToArray(), ended: false, out _))
                {
                    break;
                }
            }
        }
        catch (IOException) when (received.Length > 0)
        {
            // A reset after the answer arrived.
        }

        await writing;
        return TryParse(received.ToArray(), ended: true, out var answer)
            ? answer
            : throw new InvalidDataException("incomplete answer: " + Encoding.UTF8.GetString(received.ToArray()));
    }

    private static bool TryParse(byte[] bytes, bool ended, out Answer answer)
    {
        answer = default;
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var rest = bytes.AsSpan(end + 4);
        if (headers.TryGetValue("Content-Length", out var lengthText))
        {
            var length = int.Parse(lengthText, System.Globalization.CultureInfo.InvariantCulture);
            if (rest.Length < length)
            {
                return false;
            }

            answer = new(status, Encoding.UTF8.GetString(rest[..length]));
            return true;
        }

        if (!headers.TryGetValue("Transfer-Encoding", out var encoding) || !encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            // Neither length nor chunks: the body runs to the end of the connection.
            answer = new(status, Encoding.UTF8.GetString(rest));
            return ended;
        }

        var body = new MemoryStream();
        while (true)
        {
            var lineEnd = rest.IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                return false;
            }

            var size = Convert.ToInt32(Encoding.ASCII.GetString(rest[..lineEnd]).Split(';')[0], 16);
            if (rest.Length < lineEnd + 2 + size + 2)
            {
                return false;
            }

            if (size == 0)
            {
                answer = new(status, Encoding.UTF8.GetString(body.ToArray()));
                return true;
            }

            body.Write(rest.Slice(lineEnd + 2, size));
            rest = rest[(lineEnd + 2 + size + 2)..];
        }
    }
}
