using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Herald.Http;

/// <summary>Whether a subscriber asked for a gzip stream (<c>Accept-Encoding</c>), with <see cref="HeraldOptions.Compression"/> on.</summary>
internal static class StreamCompression
{
    /// <summary>
    /// True when <c>Accept-Encoding</c> names <c>gzip</c> (or <c>*</c>) with a quality above 0. Brotli is never chosen:
    /// its state carries across blocks, so one compression could not be shared by every stream.
    /// </summary>
    public static bool AcceptsGzip(HttpRequest request)
    {
        if (!StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptEncoding, out var encodings))
        {
            return false;
        }

        var gzip = encodings.FirstOrDefault(static e => e.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase))
            ?? encodings.FirstOrDefault(static e => e.Value.Equals("*", StringComparison.Ordinal));
        return gzip is not null && (gzip.Quality ?? 1) > 0;
    }
}
