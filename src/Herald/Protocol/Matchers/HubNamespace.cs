using System.Text;
using Herald.Protocol.Urls;

namespace Herald.Protocol.Matchers;

/// <summary>
/// The hub's reserved namespace (draft-08, "Publication"): a topic addresses it when, resolved against the hub's URL
/// (WHATWG parsing removes dot segments, <c>%2e</c> ones too), with escapes of unreserved characters decoded, its path
/// is <c>/.well-known/mercure</c> or below, whatever the scheme and authority. Same rule for 0.x and 1.0 topics. The
/// comparison ignores case (stricter than the draft: <c>/.WELL-KNOWN/Mercure</c> is refused too). A topic that is not
/// a WHATWG URL is fully percent-decoded and read as an RFC 3986 reference, so disguises cannot slip through.
/// </summary>
internal static class HubNamespace
{
    public const string Path = "/.well-known/mercure";

    /// <summary>The base used when the hub's URL is unknown (in-process publishers): only its path matters.</summary>
    public const string DefaultHubUrl = "https://hub.invalid" + Path;

    public static bool IsReserved(string topic, string hubUrl = DefaultHubUrl)
    {
        // Fast path for the publish hot path: without "mercure", an escape, a tab or newline (the parser drops them)
        // or a leading '?' / '#' (which resolve to the hub's own path), no resolution can reach the namespace.
        if (topic.Length > 0 && topic[0] is not '?' and not '#' && topic.AsSpan().IndexOfAny('%', '\t', '\n') < 0
            && !topic.Contains('\r') && !topic.Contains("mercure", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (WhatwgUrlParser.Parse(topic, hubUrl) is { } url)
        {
            return !url.HasOpaquePath && IsReservedPath(DecodeUnreserved(url.Pathname));
        }

        return IsReservedPath(FallbackPath(topic));
    }

    private static bool IsReservedPath(string path) =>
        path.Equals(Path, StringComparison.OrdinalIgnoreCase) || path.StartsWith(Path + "/", StringComparison.OrdinalIgnoreCase);

    /// <summary>Decodes %XX where XX is an unreserved character (ALPHA DIGIT - . _ ~); other escapes stay.</summary>
    private static string DecodeUnreserved(string path)
    {
        if (!path.Contains('%'))
        {
            return path;
        }

        var builder = new StringBuilder(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length && PercentEncoding.IsHex(path[i + 1]) && PercentEncoding.IsHex(path[i + 2]))
            {
                var c = (char)((PercentEncoding.HexValue(path[i + 1]) << 4) | PercentEncoding.HexValue(path[i + 2]));
                if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')
                {
                    builder.Append(c);
                    i += 2;
                    continue;
                }
            }

            builder.Append(path[i]);
        }

        return builder.ToString();
    }

    /// <summary>The path of a topic the WHATWG parser refuses: decoded, authority dropped, dot segments removed.</summary>
    private static string FallbackPath(string topic)
    {
        var text = new UTF8Encoding(false, false).GetString(PercentEncoding.DecodeToBytes(topic)).Replace('\\', '/');
        var schemeEnd = text.IndexOf(':');
        if (schemeEnd > 0 && text[..schemeEnd].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            text = text[(schemeEnd + 1)..];
        }

        if (text.StartsWith("//", StringComparison.Ordinal))
        {
            var pathStart = text.IndexOf('/', 2);
            text = pathStart < 0 ? "" : text[pathStart..];
        }

        var end = text.IndexOfAny(['?', '#']);
        text = end < 0 ? text : text[..end];
        var segments = new List<string>();
        foreach (var segment in text.Split('/'))
        {
            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }
            }
            else if (segment is not "." and not "")
            {
                segments.Add(segment);
            }
        }

        return "/" + string.Join('/', segments);
    }
}
