namespace Herald.Cli.Probe;

/// <summary>What <c>herald probe</c> was asked to do.</summary>
internal sealed record ProbeOptions
{
    /// <summary>Long enough to see two heartbeats of a hub at the common 15 s interval, with margin.</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(35);

    /// <summary>The heartbeat interval most hubs use (Herald's default; Mercure.rocks and many SSE servers use 15–30 s).</summary>
    public static readonly TimeSpan DefaultExpectedHeartbeat = TimeSpan.FromSeconds(15);

    /// <summary>A server that has not accepted a TCP connection (or TLS) by then is not going to.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    public required Uri Url { get; init; }

    public IReadOnlyList<string> Topics { get; init; } = [];

    public string? Token { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public TimeSpan Duration { get; init; } = DefaultDuration;

    public TimeSpan ExpectedHeartbeat { get; init; } = DefaultExpectedHeartbeat;

    public int Attempts { get; init; } = 1;

    public Uri? PublishUrl { get; init; }

    public string? PublishToken { get; init; }

    /// <summary>Where the marker is published: the first topic subscribed to, in the URL's query or from <c>--topic</c>.</summary>
    public string? MarkerTopic =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(SubscribeUrl.Query).TryGetValue("topic", out var topics) ? topics.FirstOrDefault() : null;

    /// <summary>The URL actually requested: <see cref="Url"/> with one <c>topic</c> query parameter per topic.</summary>
    public Uri SubscribeUrl
    {
        get
        {
            if (Topics.Count == 0)
            {
                return Url;
            }

            var query = string.Join("&", Topics.Select(t => "topic=" + Uri.EscapeDataString(t)));
            var builder = new UriBuilder(Url);
            builder.Query = string.IsNullOrEmpty(builder.Query) || builder.Query == "?" ? query : builder.Query.TrimStart('?') + "&" + query;
            return builder.Uri;
        }
    }
}
