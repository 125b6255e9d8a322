using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Herald.Http;

/// <summary>
/// The JS client as one ES module, served by the hub itself, so a page needs no bundler:
/// <c>import { subscribe } from 'https://hub/.well-known/mercure/client.js'</c>. <c>client.js</c> is always the hub's
/// own version (cached an hour, with an ETag); <c>client-VERSION.js</c> names one and is cached for good. Any origin may
/// load it (<c>Access-Control-Allow-Origin: *</c>): it is public code, and module scripts need CORS across origins.
/// </summary>
internal static class ClientScriptEndpoint
{
    /// <summary>1 h: a page picks up a new hub's client within the hour; the versioned URL never changes.</summary>
    private const string CurrentCacheControl = "public, max-age=3600";

    private const string VersionedCacheControl = "public, max-age=31536000, immutable";

    private static readonly Lazy<(byte[] Body, string Version, string ETag)> Script = new(Load);

    /// <summary>The version the bundle's first line names (<c>/*! herald-client 0.2.0 */</c>).</summary>
    public static string Version => Script.Value.Version;

    public static Task CurrentAsync(HttpContext context) => WriteAsync(context, CurrentCacheControl);

    public static Task VersionedAsync(HttpContext context, string version) =>
        version == Script.Value.Version
            ? WriteAsync(context, VersionedCacheControl)
            : HttpResponses.WriteErrorAsync(context, new Protocol.HeraldError(Protocol.ErrorKind.Invalid, $"this hub serves herald-client {Script.Value.Version}, not {Protocol.ReasonText.Quote(version, 40)}: use /client.js"));

    private static Task WriteAsync(HttpContext context, string cacheControl)
    {
        var (body, _, etag) = Script.Value;
        var response = context.Response;
        response.Headers.AccessControlAllowOrigin = "*";
        response.Headers.CacheControl = cacheControl;
        response.Headers.ETag = etag;
        response.Headers.XContentTypeOptions = "nosniff";
        if (context.Request.Headers.IfNoneMatch == etag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentType = "text/javascript; charset=utf-8";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static (byte[], string, string) Load()
    {
        using var stream = typeof(ClientScriptEndpoint).Assembly.GetManifestResourceStream("Herald.Http.herald-client.js")
            ?? throw new InvalidOperationException("the JS client bundle is not embedded: run npm run bundle:hub in clients/js");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var body = copy.ToArray();
        var firstLine = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).Split('\n', 2)[0];
        var version = firstLine.StartsWith("/*! herald-client ", StringComparison.Ordinal) && firstLine.EndsWith(" */", StringComparison.Ordinal)
            ? firstLine["/*! herald-client ".Length..^3]
            : "unknown";
        return (body, version, $"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..16]}\"");
    }
}
