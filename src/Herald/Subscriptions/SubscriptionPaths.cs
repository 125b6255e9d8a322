namespace Herald.Subscriptions;

/// <summary>
/// The reserved topics and API paths of subscriptions: <c>/.well-known/mercure/subscriptions/{topic}/{subscriber}</c>
/// (0.x) and <c>/.well-known/mercure/subscriptions/{matchType}/{match}/{subscriber}</c> (1.0), every variable
/// percent-encoded once as RFC 6570 expands a simple variable (everything but unreserved characters), as in the specs'
/// examples.
/// </summary>
internal static class SubscriptionPaths
{
    /// <summary>The Mercure 1.0 matcher type names, in their canonical case: the first segment of a 1.0 path.</summary>
    public static readonly string[] MatchTypes = ["Exact", "URLPattern"];

    /// <summary>The URL pattern a 1.0 token or subscriber can use for every 1.0 subscription event (relative: resolved against the hub).</summary>
    public const string V1EventsPattern = Collection + "/:matchType/:match/:subscriber";

    public static string TopicOf(string matchType, string match, string subscriber) =>
        $"{Collection}/{matchType}/{Uri.EscapeDataString(match)}/{Uri.EscapeDataString(subscriber)}";

    public static string CollectionOf(string matchType, string match) => $"{Collection}/{matchType}/{Uri.EscapeDataString(match)}";

    /// <summary>
    /// Splits a raw path under <see cref="Collection"/> into the resource it names. The dialect is routed by the first
    /// segment, as sent: a matcher type name (<c>Exact</c>, <c>URLPattern</c>) followed by more segments is the 1.0
    /// shape, anything else 0.x. So a 0.x topic spelled exactly like a type name is reached by percent-encoding one of
    /// its letters (<c>%45xact</c>), which a 1.0 path never does to its type.
    /// </summary>
    public static bool TryParse(string rawPath, out SubscriptionResource resource)
    {
        resource = default;
        if (!rawPath.StartsWith(Collection + "/", StringComparison.Ordinal))
        {
            return TryParse(rawPath, out _, out _);
        }

        var rest = rawPath[(Collection.Length + 1)..];
        var slash = rest.IndexOf('/');
        if (slash > 0 && Array.IndexOf(MatchTypes, rest[..slash]) >= 0)
        {
            var type = rest[..slash];
            if (!TryParse(Collection + rest[slash..], out var match, out var subscriber))
            {
                return false;
            }

            resource = new SubscriptionResource(type, match, subscriber);
            return true;
        }

        if (!TryParse(rawPath, out var topic, out var legacySubscriber))
        {
            return false;
        }

        resource = new SubscriptionResource(null, topic, legacySubscriber);
        return true;
    }

    public const string Collection = "/.well-known/mercure/subscriptions";

    /// <summary>The template a token's <c>mercure.subscribe</c> can grant to receive every subscription event.</summary>
    public const string EventsTemplate = Collection + "/{topic}/{subscriber}";

    public static string TopicOf(string topic, string subscriber) =>
        $"{Collection}/{Uri.EscapeDataString(topic)}/{Uri.EscapeDataString(subscriber)}";

    public static string CollectionOf(string topic) => $"{Collection}/{Uri.EscapeDataString(topic)}";

    /// <summary>
    /// Splits a raw (still percent-encoded) request path under <see cref="Collection"/> into its decoded topic and
    /// subscriber (each null when absent). False for any other shape, or an escape that does not decode to UTF-8.
    /// </summary>
    public static bool TryParse(string rawPath, out string? topic, out string? subscriber)
    {
        topic = subscriber = null;
        if (!rawPath.StartsWith(Collection, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = rawPath.AsSpan(Collection.Length);
        if (rest.IsEmpty)
        {
            return true;
        }

        if (rest[0] != '/' || rest.Length == 1)
        {
            return false;
        }

        rest = rest[1..];
        var slash = rest.IndexOf('/');
        var topicPart = slash < 0 ? rest : rest[..slash];
        var subscriberPart = slash < 0 ? [] : rest[(slash + 1)..];
        if (topicPart.IsEmpty || (slash >= 0 && (subscriberPart.IsEmpty || subscriberPart.Contains('/'))))
        {
            return false;
        }

        if (!TryDecode(topicPart, out topic) || (slash >= 0 && !TryDecode(subscriberPart, out subscriber)))
        {
            topic = subscriber = null;
            return false;
        }

        return true;
    }

    private static bool TryDecode(ReadOnlySpan<char> part, out string? value)
    {
        value = null;
        var bytes = new List<byte>(part.Length);
        for (var i = 0; i < part.Length; i++)
        {
            var c = part[i];
            if (c == '%')
            {
                if (i + 2 >= part.Length || !byte.TryParse(part.Slice(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b))
                {
                    return false;
                }

                bytes.Add(b);
                i += 2;
            }
            else if (c > 0x7F)
            {
                return false;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        try
        {
            value = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
            return true;
        }
        catch (System.Text.DecoderFallbackException)
        {
            return false;
        }
    }
}

/// <summary>What a subscriptions API path names: a matcher type (null for 0.x), a topic or match, a subscriber (each null when absent).</summary>
internal readonly record struct SubscriptionResource(string? MatchType, string? Topic, string? Subscriber);
