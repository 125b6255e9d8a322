namespace Herald.Bridges;

/// <summary>
/// One upstream the hub polls on behalf of its subscribers (<c>--bridge TOPIC=URL@5s</c>, or an entry of
/// <c>Bridges</c>): while someone is subscribed to <see cref="Topic"/>, a GET of <see cref="Url"/> every
/// <see cref="Interval"/>, conditional on the last <c>ETag</c>/<c>Last-Modified</c>; a body that changed is published
/// as the topic's retained update.
/// </summary>
public sealed class HeraldBridge
{
    /// <summary>5 s: the refresh period of the pages a bridge replaces.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    /// <summary>10 s: an upstream slower than that is failing; the next attempt backs off.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The topic the bodies are published to (exact, not a template).</summary>
    public string Topic { get; set; } = "";

    /// <summary>The absolute <c>http</c> or <c>https</c> URL to GET.</summary>
    public string Url { get; set; } = "";

    public TimeSpan Interval { get; set; } = DefaultInterval;

    /// <summary>How long one request may take, headers and body.</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>Request headers sent upstream (an <c>Authorization</c> the upstream wants, an <c>Accept</c>).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Publish the bodies as private updates: only subscribers granted the topic receive them.</summary>
    public bool Private { get; set; }

    /// <summary>The SSE event type of the published updates; null for <c>message</c>.</summary>
    public string? Type { get; set; }

    /// <summary>Reads <c>TOPIC=URL[@INTERVAL]</c>; <see cref="FormatException"/> with the reason when it is not one.</summary>
    public static HeraldBridge Parse(string value, Func<string, TimeSpan> parseDuration)
    {
        ArgumentNullException.ThrowIfNull(value);

        // The URL starts at the first "=http://" or "=https://": topics and URLs may both hold '=' in their queries.
        var split = IndexOfUrl(value);
        if (split <= 0)
        {
            throw new FormatException($"\"{value}\" is not TOPIC=URL[@INTERVAL] (the URL must start with http:// or https://)");
        }

        var topic = value[..split];
        var url = value[(split + 1)..];
        var interval = DefaultInterval;
        var at = url.LastIndexOf('@');
        if (at > 0 && at < url.Length - 1 && char.IsAsciiDigit(url[at + 1]) && !url.AsSpan(at + 1).Contains('/'))
        {
            interval = parseDuration(url[(at + 1)..]);
            url = url[..at];
        }

        return new HeraldBridge { Topic = topic, Url = url, Interval = interval };
    }

    private static int IndexOfUrl(string value)
    {
        var http = value.IndexOf("=http://", StringComparison.OrdinalIgnoreCase);
        var https = value.IndexOf("=https://", StringComparison.OrdinalIgnoreCase);
        return http < 0 ? https : https < 0 ? http : Math.Min(http, https);
    }
}
