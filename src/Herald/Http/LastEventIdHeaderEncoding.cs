using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// Carries <c>Last-Event-ID</c> (and its 1.0 answer, <c>Mercure-Last-Event-ID</c>) as UTF-8 both ways on Kestrel. Ids are IRIs (the Mercure 1.0 draft allows them):
/// <c>EventSource</c> sends the last id's UTF-8 bytes when it reconnects, and the hub echoes the id in its answer, which
/// Kestrel refuses to write for a non-ASCII value unless told its encoding (every resume from <c>é-2</c> was a 500).
/// Only these headers are affected; every other header keeps whatever the host app's selectors say (they run first and
/// are composed, not replaced). Registered by <c>AddHerald()</c>, so an app embedding Herald gets it too.
/// </summary>
internal sealed class LastEventIdHeaderEncoding : IPostConfigureOptions<KestrelServerOptions>
{
    /// <summary>
    /// Not throwing on invalid bytes: a cursor that is not UTF-8 (a Latin-1 <c>é</c>) decodes to U+FFFD, matches no
    /// id and resumes as an unknown id, instead of failing the request.
    /// </summary>
    internal static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public void PostConfigure(string? name, KestrelServerOptions options)
    {
        var request = options.RequestHeaderEncodingSelector;
        options.RequestHeaderEncodingSelector = header => IsLastEventId(header) ? Utf8 : request(header);

        var response = options.ResponseHeaderEncodingSelector;
        options.ResponseHeaderEncodingSelector = header => IsLastEventId(header) ? Utf8 : response(header);
    }

    internal static bool IsLastEventId(string header) =>
        string.Equals(header, SubscriptionGate.LastEventIdHeader, StringComparison.OrdinalIgnoreCase)
        || string.Equals(header, SubscriptionGate.MercureLastEventIdHeader, StringComparison.OrdinalIgnoreCase);
}
