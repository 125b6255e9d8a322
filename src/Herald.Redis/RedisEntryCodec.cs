using System.Text;
using System.Text.Json;
using Herald.Storage;
using StackExchange.Redis;

namespace Herald.Redis;

/// <summary>
/// One stream entry per update: field <c>i</c> the id, field <c>p</c> the content as compact JSON, field <c>t</c> the
/// Redis server time it was stored (Unix ms, for age-based retention). The JSON is written
/// deterministically (fixed field order, defaults omitted), so the append script detects "same content" by comparing strings.
/// </summary>
internal static class RedisEntryCodec
{
    public const string IdField = "i";
    public const string PayloadField = "p";
    public const string TimeField = "t";

    public static string Encode(Update update)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: the JSON is only ever read back by Herald, never embedded in HTML, so non-ASCII text stays compact.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartArray("t");
            foreach (var topic in update.Topics)
            {
                json.WriteStringValue(topic);
            }

            json.WriteEndArray();
            json.WriteString("d", update.Data);
            if (update.Type is not null)
            {
                json.WriteString("y", update.Type);
            }

            if (update.Retry is { } retry)
            {
                json.WriteNumber("r", retry);
            }

            if (update.Private)
            {
                json.WriteBoolean("v", true);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static StoredUpdate Decode(StreamEntry entry)
    {
        string? id = null;
        string? payload = null;
        long storedAt = 0;
        foreach (var value in entry.Values)
        {
            if (value.Name == IdField)
            {
                id = value.Value;
            }
            else if (value.Name == PayloadField)
            {
                payload = value.Value;
            }
            else if (value.Name == TimeField)
            {
                storedAt = (long)value.Value;
            }
        }

        if (id is null || payload is null)
        {
            throw new FormatException($"stream entry {entry.Id} was not written by Herald");
        }

        var position = RedisPositions.FromEntryId(entry.Id!);
        return new StoredUpdate(position, DecodeUpdate(id, payload), DateTimeOffset.FromUnixTimeMilliseconds(storedAt));
    }

    private static Update DecodeUpdate(string id, string payload)
    {
        using var document = JsonDocument.Parse(payload);
        var root = document.RootElement;
        var topics = new List<string>();
        foreach (var topic in root.GetProperty("t").EnumerateArray())
        {
            topics.Add(topic.GetString()!);
        }

        return new Update
        {
            Id = id,
            Topics = topics,
            Data = root.GetProperty("d").GetString() ?? "",
            Type = root.TryGetProperty("y", out var type) ? type.GetString() : null,
            Retry = root.TryGetProperty("r", out var retry) ? retry.GetInt64() : null,
            Private = root.TryGetProperty("v", out var isPrivate) && isPrivate.GetBoolean(),
        };
    }
}
