using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Herald.Subscriptions;

/// <summary>
/// The JSON-LD documents of Mercure 0.x "Active Subscriptions", property for property as the spec's examples:
/// a subscription (the data of its events, and the single-subscription endpoint with <c>lastEventID</c>) and a
/// collection. Indented like the reference hub's events.
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
                || !root.TryGetProperty("topic", out var topic) || topic.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("subscriber", out var subscriber) || subscriber.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            JsonElement? payload = root.TryGetProperty("payload", out var p) ? p.Clone() : null;
            return new ActiveSubscription(topic.GetString()!, subscriber.GetString()!, payload);
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
        json.WriteString("topic", subscription.Topic);
        json.WriteString("subscriber", subscription.Subscriber);
        json.WriteBoolean("active", active);
        if (subscription.Payload is { } payload)
        {
            json.WritePropertyName("payload");
            payload.WriteTo(json);
        }
    }
}
