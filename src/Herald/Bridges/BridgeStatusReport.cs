using System.Text.Json;

namespace Herald.Bridges;

/// <summary>The <c>bridges</c> array of the stats report.</summary>
internal static class BridgeStatusReport
{
    /// <summary>3 failures in a row: one is a blip, three is an upstream that is down.</summary>
    public const int DegradedAfterErrors = 3;

    public static void Write(Utf8JsonWriter json, IReadOnlyList<BridgeStatus> bridges)
    {
        json.WriteStartArray("bridges");
        foreach (var bridge in bridges)
        {
            json.WriteStartObject();
            json.WriteString("topic", bridge.Topic);
            json.WriteString("upstream", bridge.Upstream);
            json.WriteNumber("intervalSeconds", bridge.Interval.TotalSeconds);
            json.WriteBoolean("polling", bridge.Polling);
            json.WriteNumber("requests", bridge.Requests);
            json.WriteNumber("published", bridge.Published);
            json.WriteNumber("unchanged", bridge.Unchanged);
            json.WriteNumber("errors", bridge.Errors);
            json.WriteNumber("consecutiveErrors", bridge.ConsecutiveErrors);
            json.WriteString("lastError", bridge.LastError);
            if (bridge.LastSuccessMs is { } at)
            {
                json.WriteNumber("lastSuccessAt", at);
            }
            else
            {
                json.WriteNull("lastSuccessAt");
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
