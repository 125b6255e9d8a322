using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Deltas;

namespace Herald.Client;

/// <summary>
/// Turns the hub's deltas back into whole documents (docs/deltas.md): keeps the last JSON values by id as bases, applies a
/// patch to the one it names, and answers null when that base is not here or the patch does not apply (the caller then
/// reconnects for the whole value: a wrong document is never handed on).
/// </summary>
internal sealed class DeltaDecoder(int capacity)
{
    private readonly Dictionary<string, (JsonNode? Value, long Sequence)> _values = new(StringComparer.Ordinal);
    private long _sequence;

    public HeraldUpdate? Decode(HeraldUpdate update, string? delta)
    {
        if (delta is null)
        {
            if (update.Id is { Length: > 0 } id && LooksLikeJson(update.Data))
            {
                try
                {
                    Remember(id, JsonNode.Parse(update.Data));
                }
                catch (JsonException)
                {
                    // Not JSON after all: no delta names it.
                }
            }

            return update;
        }

        if (!JsonDelta.TryParseField(delta, out var format, out var baseId) || update.Id is not { Length: > 0 } newId
            || !_values.Remove(baseId, out var basis))
        {
            return null;
        }

        try
        {
            // The base is ours alone (the application got its text): changed in place.
            var document = JsonDelta.Apply(format, basis.Value, JsonNode.Parse(update.Data));
            Remember(newId, document);
            return update with { Data = document?.ToJsonString() ?? "null" };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    private static bool LooksLikeJson(string data)
    {
        var text = data.AsSpan().TrimStart(" \t\r\n");
        return text.Length > 0 && text[0] is '{' or '[';
    }

    private void Remember(string id, JsonNode? value)
    {
        _values[id] = (value, ++_sequence);
        if (_values.Count > capacity)
        {
            // Capacities are small (2 for one topic, 64 for more): a scan for the oldest is cheap.
            _values.Remove(_values.MinBy(static v => v.Value.Sequence).Key);
        }
    }
}
