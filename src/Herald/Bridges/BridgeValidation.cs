namespace Herald.Bridges;

/// <summary>What makes a <see cref="HeraldBridge"/> configuration usable, checked at start with the other options.</summary>
internal static class BridgeValidation
{
    /// <summary>100 ms: faster polling is a load test of the upstream, not a bridge.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(100);

    public static void Check(HeraldOptions options, List<string> failures)
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Bridges.Count; i++)
        {
            var bridge = options.Bridges[i];
            var name = $"Bridges[{i}]";
            if (string.IsNullOrEmpty(bridge.Topic) || bridge.Topic.Contains('{') || bridge.Topic == Protocol.TopicSelector.Wildcard)
            {
                failures.Add($"{name}: Topic must be an exact topic (not empty, not a template, not *)");
            }
            else if (bridge.Topic.Length > options.MaxTopicLength || !Protocol.FieldCharacters.IsAllowed(bridge.Topic))
            {
                failures.Add($"{name}: Topic is longer than MaxTopicLength or holds control characters");
            }
            else if (!topics.Add(bridge.Topic))
            {
                failures.Add($"{name}: topic \"{bridge.Topic}\" is bridged twice; one upstream per topic");
            }

            if (!Uri.TryCreate(bridge.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                failures.Add($"{name}: Url must be an absolute http:// or https:// URL");
            }

            if (bridge.Interval < MinInterval)
            {
                failures.Add($"{name}: Interval must be at least {MinInterval.TotalMilliseconds:0} ms");
            }

            if (bridge.Timeout <= TimeSpan.Zero)
            {
                failures.Add($"{name}: Timeout must be positive");
            }

            foreach (var (header, value) in bridge.Headers)
            {
                if (string.IsNullOrEmpty(header) || header.Any(static c => c <= ' ' || c >= 127 || c == ':') || value.Any(static c => c is '\r' or '\n' or '\0'))
                {
                    failures.Add($"{name}: header \"{header}\" is not a valid HTTP header name and value");
                }
            }
        }
    }
}
