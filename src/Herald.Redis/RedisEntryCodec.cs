using System.Text;
using System.Text.Json;
using Herald.Storage;
using StackExchange.Redis;

namespace Herald.Redis;

/// <summary>
/// One stream entry per update. Format version 2 (field <c>v</c> = <c>2</c>, the codec that wrote it):
/// <list type="bullet">
/// <item><c>i</c> the id;</item>
/// <item><c>p</c> the content and only the content — topics, data, type, retry, private — as compact JSON
/// (<c>t</c>, <c>d</c>, <c>y</c>, <c>r</c>, <c>v</c>; defaults omitted);</item>
/// <item><c>t</c> the Redis server time it was stored (Unix ms, for age-based retention);</item>
/// <item><c>s</c> the bytes it counts against the byte limit (<see cref="HistoryLimits.SizeOf"/>).</item>
/// </list>
/// Idempotence compares the content field by field (the append script decodes both JSON objects), never the raw
/// entry, so a later version adds fields (trace context, flags) beside <c>p</c>, or keys inside it, without making a
/// retry a conflict; readers ignore fields they do not know. Version 1 entries (no <c>v</c>, no <c>s</c>) read the
/// same; their bytes are counted as they were written (id and content lengths).
/// </summary>
internal static class RedisEntryCodec
{
    public const string IdField = "i";
    public const string PayloadField = "p";
    public const string TimeField = "t";
    public const string VersionField = "v";
    public const string SizeField = "s";

    /// <summary>The publish span's W3C traceparent, so a dispatch on any node links to it; never compared by retries.</summary>
    public const string TraceField = "c";

    /// <summary>The traceparent of the update's publish span, or "" when it was published without one.</summary>
    public static string TraceParent(Update update)
    {
        var context = update.PublishContext;
        return context == default ? "" : $"00-{context.TraceId}-{context.SpanId}-{((context.TraceFlags & System.Diagnostics.ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";
    }

    /// <summary>The format this codec writes.</summary>
    public const int Version = 2;

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

            if (update.Retain)
            {
                json.WriteBoolean("k", true);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// The stored update of an entry; <see cref="FormatException"/> (the cause inside) for an entry Herald did not write
    /// or cannot read — foreign fields, damaged JSON, an entry id that is no position — so a reader can skip it.
    /// </summary>
    public static StoredUpdate Decode(StreamEntry entry)
    {
        string? id = null;
        string? payload = null;
        long? storedAt = null;
        string? trace = null;
        foreach (var value in entry.Values)
        {
            if (value.Name == TraceField)
            {
                trace = value.Value;
            }
            else if (value.Name == IdField)
            {
                id = value.Value;
            }
            else if (value.Name == PayloadField)
            {
                payload = value.Value;
            }
            else if (value.Name == TimeField)
            {
                storedAt = value.Value.TryParse(out long ms) ? ms : throw new FormatException($"stream entry {entry.Id} has a time that is not a number");
            }
            else if (value.Name == VersionField && (!value.Value.TryParse(out int version) || version < 1))
            {
                // A later version is read by the fields this one knows: p keeps its meaning across versions.
                throw new FormatException($"stream entry {entry.Id} names no format version Herald writes");
            }
        }

        if (id is null || payload is null || storedAt is null)
        {
            throw new FormatException($"stream entry {entry.Id} was not written by Herald (no id, content or time field)");
        }

        var position = RedisPositions.FromEntryId(entry.Id!);
        var update = DecodeUpdate(entry.Id!, id, payload);
        if (trace is not null && System.Diagnostics.ActivityContext.TryParse(trace, null, isRemote: true, out var context))
        {
            update = update.WithPublishContext(context);
        }

        return new StoredUpdate(position, update, DateTimeOffset.FromUnixTimeMilliseconds(storedAt.Value));
    }

    /// <summary>
    /// A latest value as the append script keeps it in the retained-values hash: <c>{"n": entry id, "t": ms, "i": id,
    /// "p": content}</c>; <see cref="FormatException"/> when it is not one.
    /// </summary>
    public static StoredUpdate DecodeRetained(string value)
    {
        try
        {
            using var document = JsonDocument.Parse(value);
            var root = document.RootElement;
            var entryId = root.GetProperty("n").GetString() ?? throw new FormatException("no entry id");
            var id = root.GetProperty("i").GetString() ?? throw new FormatException("no id");
            var storedAt = long.Parse(root.GetProperty("t").GetString() ?? "", System.Globalization.CultureInfo.InvariantCulture);
            var update = DecodeUpdate(entryId, id, root.GetProperty("p").GetString() ?? "");
            return new StoredUpdate(RedisPositions.FromEntryId(entryId), update, DateTimeOffset.FromUnixTimeMilliseconds(storedAt));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or OverflowException)
        {
            throw new FormatException($"a latest value Herald cannot read: {e.Message}", e);
        }
    }

    private static Update DecodeUpdate(string entryId, string id, string payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            var topics = new List<string>();
            foreach (var topic in root.GetProperty("t").EnumerateArray())
            {
                topics.Add(topic.GetString() ?? throw new FormatException("a topic is null"));
            }

            if (topics.Count == 0)
            {
                throw new FormatException("no topic");
            }

            return new Update
            {
                Id = id,
                Topics = topics,
                Data = root.GetProperty("d").GetString() ?? "",
                Type = root.TryGetProperty("y", out var type) ? type.GetString() : null,
                Retry = root.TryGetProperty("r", out var retry) ? retry.GetInt64() : null,
                Private = root.TryGetProperty("v", out var isPrivate) && isPrivate.GetBoolean(),
                Retain = root.TryGetProperty("k", out var retain) && retain.GetBoolean(),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            // JSON that does not parse, a missing field, a field of the wrong kind: all one fault, "cannot read it".
            throw new FormatException($"stream entry {entryId} has content Herald cannot read: {e.Message}", e);
        }
    }
}
