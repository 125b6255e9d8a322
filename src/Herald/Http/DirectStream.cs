using System.IO.Pipelines;
using Herald.Protocol;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Herald.Http;

/// <summary>
/// A live stream on Kestrel's HTTP/1.1 that the hub frames itself: the response says <c>Transfer-Encoding: chunked</c>
/// itself, so Kestrel sends its body as written, and once the headers and replay are flushed the writer loop writes
/// its shared, pre-framed chunks (<see cref="ChunkedStreamEncoding"/>) to the connection's own pipe. Kestrel's response
/// writer (its lock, its chunk framing, its flush layers) costs about as much CPU per delivery as Herald's whole
/// fan-out; nothing else writes to the connection while the request runs, and the stream ends with the last chunk, so
/// the connection stays reusable.
/// </summary>
internal static class DirectStream
{
    /// <summary>
    /// True on Kestrel's HTTP/1.1 with the response body still the server's own: a middleware that wraps it
    /// (compression, caching) must see every byte, and HTTP/2 and HTTP/3 frame streams themselves.
    /// </summary>
    public static bool Applies(HttpContext context)
    {
        if (!HttpProtocol.IsHttp11(context.Request.Protocol) || context.Features.Get<IConnectionTransportFeature>() is null)
        {
            return false;
        }

        // Kestrel's request is its own response body feature; a middleware that replaced the body feature is not.
        var body = context.Features.Get<IHttpResponseBodyFeature>();
        return body is not null && ReferenceEquals(body, context.Features.Get<IHttpResponseFeature>());
    }

    /// <summary>Marks the response as chunked by the hub; call before the headers are sent.</summary>
    public static void Start(HttpResponse response) => response.Headers.TransferEncoding = "chunked";

    /// <summary>
    /// Where the writer loop writes: the connection's pipe for a direct stream (its headers and replay flushed through
    /// Kestrel already), the response body otherwise.
    /// </summary>
    public static PipeWriter Output(HttpContext context, StreamEncoding encoding) =>
        encoding is ChunkedStreamEncoding && context.Features.Get<IConnectionTransportFeature>() is { } transport
            ? transport.Transport.Output
            : context.Response.BodyWriter;
}
