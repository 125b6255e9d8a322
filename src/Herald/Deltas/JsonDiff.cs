using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Herald.Deltas;

/// <summary>
/// Computes the patches that turn one JSON document into another, on <see cref="JsonElement"/> (no reflection: the hub
/// is Native AOT). Each stops as soon as its patch grows past <c>limit</c> bytes, so a document that changed a lot costs
/// little more than noticing it. Neither is trusted as is: <see cref="RetainedDeltas"/> applies it before sending.
/// </summary>
internal static class JsonDiff
{
    // Non-ASCII text stays as is (smaller); control characters, CR and LF are still escaped, so a patch is one SSE line.
    private static readonly JsonWriterOptions Compact = new() { Indented = false, SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// An RFC 6902 patch (<c>add</c>, <c>remove</c>, <c>replace</c>): members by name; arrays by their common prefix and
    /// suffix, then index by index, then the extra elements added or removed (a bundle whose elements change in place, or
    /// that gains or loses a few, gives a patch of about the size of what changed). Null when it would exceed <paramref name="limit"/>.
    /// </summary>
    public static byte[]? JsonPatch(JsonElement from, JsonElement to, int limit)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer, Compact);
        writer.WriteStartArray();
        var diff = new PatchWriter(writer, limit);
        if (!diff.Diff(new StringBuilder(), from, to))
        {
            return null;
        }

        writer.WriteEndArray();
        writer.Flush();
        return buffer.WrittenCount > limit ? null : buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// An RFC 7396 merge patch, or null when none is exact or it would exceed <paramref name="limit"/>: the root must be an
    /// object, and no object member written may be <c>null</c> (a merge patch's <c>null</c> deletes). Arrays go whole.
    /// </summary>
    public static byte[]? MergePatch(JsonElement from, JsonElement to, int limit)
    {
        if (from.ValueKind != JsonValueKind.Object || to.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer, Compact);
        if (!WriteMerge(writer, from, to, limit))
        {
            return null;
        }

        writer.Flush();
        return buffer.WrittenCount > limit ? null : buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The same JSON text: equal, found with one vectorized comparison (most of a bundle did not change). Different text
    /// may still be equal JSON (<c>1.0</c> and <c>1</c>, escapes, member order): <see cref="Same"/> then asks DeepEquals.
    /// </summary>
    private static bool SameText(JsonElement a, JsonElement b) =>
        JsonMarshal.GetRawUtf8Value(a).SequenceEqual(JsonMarshal.GetRawUtf8Value(b));

    private static bool Same(JsonElement a, JsonElement b) => SameText(a, b) || JsonElement.DeepEquals(a, b);

    private static bool WriteMerge(Utf8JsonWriter writer, JsonElement from, JsonElement to, int limit)
    {
        writer.WriteStartObject();
        var before = Members.Of(from);
        var after = Members.Of(to);
        foreach (var member in from.EnumerateObject())
        {
            if (!after.TryGet(member.Name, out _))
            {
                writer.WriteNull(member.Name);
            }
        }

        foreach (var member in to.EnumerateObject())
        {
            var value = member.Value;
            if (before.TryGet(member.Name, out var old))
            {
                if (SameText(old, value))
                {
                    continue;
                }

                if (old.ValueKind == JsonValueKind.Object && value.ValueKind == JsonValueKind.Object)
                {
                    if (!JsonElement.DeepEquals(old, value))
                    {
                        writer.WritePropertyName(member.Name);
                        if (!WriteMerge(writer, old, value, limit))
                        {
                            return false;
                        }
                    }

                    continue;
                }

                if (JsonElement.DeepEquals(old, value))
                {
                    continue;
                }
            }

            if (value.ValueKind == JsonValueKind.Null || (value.ValueKind == JsonValueKind.Object && HasNullMember(value)))
            {
                return false;
            }

            writer.WritePropertyName(member.Name);
            value.WriteTo(writer);
            if (writer.BytesPending + writer.BytesCommitted > limit)
            {
                return false;
            }
        }

        writer.WriteEndObject();
        return writer.BytesPending + writer.BytesCommitted <= limit;
    }

    /// <summary>A null member at any depth of an object (arrays are values in a merge patch: their nulls stay).</summary>
    private static bool HasNullMember(JsonElement obj)
    {
        foreach (var member in obj.EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.Null || (member.Value.ValueKind == JsonValueKind.Object && HasNullMember(member.Value)))
            {
                return true;
            }
        }

        return false;
    }

    private readonly struct PatchWriter(Utf8JsonWriter writer, int limit)
    {
        /// <summary>False once the patch is over the limit.</summary>
        public bool Diff(StringBuilder path, JsonElement from, JsonElement to)
        {
            if (SameText(from, to))
            {
                return true;
            }

            if (from.ValueKind == JsonValueKind.Object && to.ValueKind == JsonValueKind.Object)
            {
                return DiffObjects(path, from, to);
            }

            if (from.ValueKind == JsonValueKind.Array && to.ValueKind == JsonValueKind.Array)
            {
                return DiffArrays(path, from, to);
            }

            return JsonElement.DeepEquals(from, to) || Write("replace", path, to);
        }

        private bool DiffObjects(StringBuilder path, JsonElement from, JsonElement to)
        {
            var length = path.Length;
            var before = Members.Of(from);
            var after = Members.Of(to);
            foreach (var member in from.EnumerateObject())
            {
                if (!after.TryGet(member.Name, out _) && !Write("remove", Append(path, member.Name), null))
                {
                    return false;
                }

                path.Length = length;
            }

            foreach (var member in to.EnumerateObject())
            {
                Append(path, member.Name);
                var ok = before.TryGet(member.Name, out var old) ? Diff(path, old, member.Value) : Write("add", path, member.Value);
                path.Length = length;
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }

        private bool DiffArrays(StringBuilder path, JsonElement from, JsonElement to)
        {
            // Indexing a JsonElement array of objects walks it from the start: take the elements once.
            var before = from.EnumerateArray().ToArray();
            var after = to.EnumerateArray().ToArray();
            var old = before.Length;
            var now = after.Length;
            var prefix = 0;
            while (prefix < old && prefix < now && Same(before[prefix], after[prefix]))
            {
                prefix++;
            }

            var suffix = 0;
            while (suffix < old - prefix && suffix < now - prefix && Same(before[old - 1 - suffix], after[now - 1 - suffix]))
            {
                suffix++;
            }

            var length = path.Length;
            var common = Math.Min(old, now) - prefix - suffix;
            for (var i = prefix; i < prefix + common; i++)
            {
                var ok = Diff(Append(path, i), before[i], after[i]);
                path.Length = length;
                if (!ok)
                {
                    return false;
                }
            }

            // The rest of the middle: removed from where it starts (each removal shifts the next into place), or added in order.
            var at = prefix + common;
            for (var i = 0; i < old - now; i++)
            {
                var ok = Write("remove", Append(path, at), null);
                path.Length = length;
                if (!ok)
                {
                    return false;
                }
            }

            for (var i = at; i < now - suffix; i++)
            {
                var ok = Write("add", Append(path, i), after[i]);
                path.Length = length;
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }

        private bool Write(string op, StringBuilder path, JsonElement? value)
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, op);
            writer.WriteString("path"u8, path.ToString());
            if (value is { } v)
            {
                writer.WritePropertyName("value"u8);
                v.WriteTo(writer);
            }

            writer.WriteEndObject();
            return writer.BytesPending + writer.BytesCommitted <= limit;
        }

        private static StringBuilder Append(StringBuilder path, string name)
        {
            path.Append('/');
            foreach (var c in name)
            {
                _ = c switch
                {
                    '~' => path.Append("~0"),
                    '/' => path.Append("~1"),
                    _ => path.Append(c),
                };
            }

            return path;
        }

        private static StringBuilder Append(StringBuilder path, int index) => path.Append('/').Append(index);
    }

    /// <summary>
    /// An object's members by name. <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> scans the object, so a
    /// bundle keyed by 1,700 ids would cost 1,700² comparisons: large objects get a dictionary (the last of duplicate
    /// names wins, as in <see cref="System.Text.Json.Nodes.JsonObject"/>; verification catches any disagreement).
    /// </summary>
    private readonly struct Members
    {
        private const int Scan = 16;

        private readonly JsonElement _element;
        private readonly Dictionary<string, JsonElement>? _byName;

        private Members(JsonElement element, Dictionary<string, JsonElement>? byName)
        {
            _element = element;
            _byName = byName;
        }

        public static Members Of(JsonElement obj)
        {
            var count = obj.GetPropertyCount();
            if (count <= Scan)
            {
                return new Members(obj, null);
            }

            var byName = new Dictionary<string, JsonElement>(count, StringComparer.Ordinal);
            foreach (var member in obj.EnumerateObject())
            {
                byName[member.Name] = member.Value;
            }

            return new Members(obj, byName);
        }

        public bool TryGet(string name, out JsonElement value) =>
            _byName is null ? _element.TryGetProperty(name, out value) : _byName.TryGetValue(name, out value);
    }
}
