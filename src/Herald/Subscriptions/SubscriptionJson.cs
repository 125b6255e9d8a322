using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Herald.Subscriptions;

/// <summary>
/// The JSON-LD documents of "Active Subscriptions", property for property as the specs' examples: a subscription (the
/// data of its events, and the single-subscription endpoint with <c>lastEventID</c>) and a collection. A 0.x
/// subscription has <c>topic</c>, a 1.0 one <c>matchType</c> and <c>match</c> (draft-08); a collection lists each in
/// its own shape. Indented like the reference hub's events.
/// </summary>
internal static class SubscriptionJson
{
    public const string Context = "https://mercure.rocks/";

    public const string ContentType = "application/ld+json";

    // Topics are IRIs: "/" and "&" stay readable; anything that could end a string or a line is still escaped.
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The data of the event announcing that a subscription opened or closed.</summary>
    public static string Event(ActiveSubscription subscription, bool active)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("@context", Context);
            WriteProperties(json, subscription, active);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The answer of <c>GET …/subscriptions/{topic}/{subscriber}</c>.</summary>
    public static byte[] Single(ActiveSubscription subscription, string lastEventId)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("@context", Context);
            WriteProperties(json, subscription, active: true);
            json.WriteString("lastEventID", lastEventId);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The answer of <c>GET …/subscriptions</c> and <c>GET …/subscriptions/{topic}</c>.</summary>
    public static byte[] Collection(string id, string lastEventId, IEnumerable<ActiveSubscription> subscriptions)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("@context", Context);
            json.WriteString("id", id);
            json.WriteString("type", "Subscriptions");
            json.WriteString("lastEventID", lastEventId);
            json.WriteStartArray("subscriptions");
            foreach (var subscription in subscriptions)
            {
                json.WriteStartObject();
                WriteProperties(json, subscription, active: true);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads back a subscription from its event data (as other nodes keep it); null when it is not one.</summary>
    public static ActiveSubscription? TryRead(string data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("subscriber", out var subscriber) || subscriber.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            string? matchType = null;
            if (!root.TryGetProperty("topic", out var topic))
            {
                if (!root.TryGetProperty("match", out topic) || !root.TryGetProperty("matchType", out var type)
                    || type.ValueKind != JsonValueKind.String || Array.IndexOf(SubscriptionPaths.MatchTypes, type.GetString()) < 0)
                {
                    return null;
                }

                matchType = type.GetString();
            }

            if (topic.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            JsonElement? payload = root.TryGetProperty("payload", out var p) ? p.Clone() : null;
            return new ActiveSubscription(topic.GetString()!, subscriber.GetString()!, payload, matchType);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void WriteProperties(Utf8JsonWriter json, ActiveSubscription subscription, bool active)
    {
        json.WriteString("id", subscription.Id);
        json.WriteString("type", "Subscription");
        if (subscription.MatchType is { } matchType)
        {
            json.WriteString("matchType", matchType);
            json.WriteString("match", subscription.Topic);
        }
        else
        {
            json.WriteString("topic", subscription.Topic);
        }

        json.WriteString("subscriber", subscription.Subscriber);
        json.WriteBoolean("active", active);
        if (subscription.Payload is { } payload)
        {
            json.WritePropertyName("payload");
            payload.WriteTo(json);
        }
    }
}
