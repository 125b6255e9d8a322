namespace Herald.Subscriptions;

/// <summary>
/// The reserved topics and API paths of subscriptions: <c>/.well-known/mercure/subscriptions/{topic}/{subscriber}</c>
/// with both variables percent-encoded as RFC 6570 expands a simple variable (everything but unreserved characters), as
/// in the spec's examples.
/// </summary>
internal static class SubscriptionPaths
{
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
