using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Deltas;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Deltas;

/// <summary>
/// What a delta client does, read off the raw stream: every frame with data is either a whole value (kept as the base
/// of its id) or a <c>herald-delta</c> frame, applied to the base it names. Keeps the frames it read, so tests can look
/// at what went on the wire.
/// </summary>
internal sealed class DeltaReplica(SseStream stream)
{
    private readonly Dictionary<string, JsonNode?> _values = new(StringComparer.Ordinal);
    private int _read;

    public List<Frame> Frames { get; } = [];

    /// <summary>Reads up to the frame of update <paramref name="id"/> and returns the document it rebuilds.</summary>
    public async Task<(Frame Frame, JsonNode? Value)> ValueOfAsync(string id)
    {
        await stream.WaitForRawAsync($"id: {id}\n");
        string text;
        do
        {
            // The id line is written before the data: wait for the frame's end.
            text = stream.RawText;
            var at = text.IndexOf($"id: {id}\n", StringComparison.Ordinal);
            if (text.IndexOf("\n\n", at, StringComparison.Ordinal) >= 0)
            {
                break;
            }

            await Task.Delay(10);
        }
        while (true);

        while (true)
        {
            var end = text.IndexOf("\n\n", _read, StringComparison.Ordinal);
            var frame = Frame.Parse(text[_read..end]);
            _read = end + 2;
            if (frame.Data is null)
            {
                continue;
            }

            Frames.Add(frame);
            JsonNode? value;
            if (frame.Delta is { } delta)
            {
                Assert.True(JsonDelta.TryParseField(delta, out var format, out var baseId), "malformed herald-delta: " + delta);
                Assert.True(_values.TryGetValue(baseId, out var basis), $"a delta against {baseId}, which this client does not have");
                value = JsonDelta.Apply(format, basis?.DeepClone(), JsonNode.Parse(frame.Data));
            }
            else
            {
                value = TryParse(frame.Data);
            }

            if (frame.Id is { } frameId)
            {
                _values[frameId] = value;
            }

            if (frame.Id == id)
            {
                return (frame, value);
            }
        }
    }

    public static void AssertSameJson(string expected, JsonNode? actual)
    {
        using var want = JsonDocument.Parse(expected);
        using var got = JsonDocument.Parse(actual?.ToJsonString() ?? "null");
        Assert.True(JsonElement.DeepEquals(want.RootElement, got.RootElement), "the rebuilt document differs from the one published");
    }

    private static JsonNode? TryParse(string data)
    {
        try
        {
            return JsonNode.Parse(data);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal sealed record Frame(string? Id, string? Type, string? Delta, string? Data, int Bytes)
    {
        public static Frame Parse(string text)
        {
            string? id = null, type = null, delta = null;
            List<string>? data = null;
            foreach (var line in text.Split('\n'))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    continue;
                }

                var value = line[(colon + 1)..];
                value = value.StartsWith(' ') ? value[1..] : value;
                switch (line[..colon])
                {
                    case "id": id = value; break;
                    case "event": type = value; break;
                    case JsonDelta.Field: delta = value; break;
                    case "data": (data ??= []).Add(value); break;
                }
            }

            return new Frame(id, type, delta, data is null ? null : string.Join('\n', data), System.Text.Encoding.UTF8.GetByteCount(text) + 2);
        }
    }
}
