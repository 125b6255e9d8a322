using System.Globalization;
using System.Text.Json.Nodes;

namespace Herald.Deltas;

/// <summary>
/// Herald's deltas for retained JSON topics (docs/deltas.md), compiled into both the hub (which applies every patch it
/// computed before sending it) and the .NET client (which applies what it receives), so the two cannot drift. A delta
/// frame carries <c>herald-delta: FORMAT BASE-ID</c>: the patch in <c>data</c> turns the value whose id is BASE-ID into
/// the update's value.
/// </summary>
internal static class JsonDelta
{
    /// <summary>The SSE field of a delta frame; unknown to EventSource, which ignores it.</summary>
    public const string Field = "herald-delta";

    /// <summary>The subscribe query parameter asking for deltas: the formats the client applies, comma-separated.</summary>
    public const string QueryParameter = "herald-delta";

    /// <summary>RFC 6902 JSON Patch (only <c>add</c>, <c>remove</c> and <c>replace</c> are sent).</summary>
    public const string JsonPatch = "json-patch";

    /// <summary>RFC 7396 JSON Merge Patch.</summary>
    public const string MergePatch = "merge-patch";

    /// <summary>What Herald's clients send: both formats.</summary>
    public const string AllFormats = JsonPatch + "," + MergePatch;

    /// <summary>Splits a <c>herald-delta</c> field value into its format and base id; false when malformed.</summary>
    public static bool TryParseField(string value, out string format, out string baseId)
    {
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        format = space < 0 ? "" : value[..space];
        baseId = space < 0 ? "" : value[(space + 1)..];
        return baseId.Length > 0 && format is JsonPatch or MergePatch;
    }

    /// <summary>Applies a patch of <paramref name="format"/> to <paramref name="document"/> (changed in place) and returns the result.</summary>
    public static JsonNode? Apply(string format, JsonNode? document, JsonNode? patch) => format switch
    {
        JsonPatch => ApplyJsonPatch(document, patch as JsonArray ?? throw new FormatException("a JSON Patch is an array")),
        MergePatch => ApplyMergePatch(document, patch),
        _ => throw new FormatException("unknown delta format"),
    };

    /// <summary>RFC 6902 <c>add</c>, <c>remove</c>, <c>replace</c>; anything else, or a path that does not resolve, throws.</summary>
    public static JsonNode? ApplyJsonPatch(JsonNode? document, JsonArray operations)
    {
        foreach (var item in operations)
        {
            if (item is not JsonObject operation || operation["op"]?.GetValue<string>() is not { } op
                || operation["path"]?.GetValue<string>() is not { } path)
            {
                throw new FormatException("a JSON Patch operation needs \"op\" and \"path\"");
            }

            JsonNode? value = null;
            if (op is "add" or "replace")
            {
                if (!operation.TryGetPropertyValue("value", out value))
                {
                    throw new FormatException($"\"{op}\" needs a \"value\"");
                }

                // A node has one parent: take the value out of the patch before putting it in the document.
                operation.Remove("value");
            }
            else if (op != "remove")
            {
                throw new FormatException($"unsupported operation \"{op}\"");
            }

            if (path.Length == 0)
            {
                document = op == "remove" ? throw new FormatException("cannot remove the whole document") : value;
                continue;
            }

            var tokens = Pointer(path);
            var parent = Resolve(document, tokens);
            var last = tokens[^1];
            switch (parent)
            {
                case JsonObject obj:
                    if (op != "add" && !obj.ContainsKey(last))
                    {
                        throw new FormatException($"no member \"{last}\" to {op}");
                    }

                    if (op == "remove")
                    {
                        obj.Remove(last);
                    }
                    else
                    {
                        obj[last] = value;
                    }

                    break;
                case JsonArray array:
                    var index = last == "-" && op == "add" ? array.Count : Index(last);
                    if (index > array.Count || (op != "add" && index == array.Count))
                    {
                        throw new FormatException($"index {last} is out of range");
                    }

                    if (op == "add")
                    {
                        array.Insert(index, value);
                    }
                    else if (op == "remove")
                    {
                        array.RemoveAt(index);
                    }
                    else
                    {
                        array[index] = value;
                    }

                    break;
                default:
                    throw new FormatException($"\"{path}\" is not in a container");
            }
        }

        return document;
    }

    /// <summary>RFC 7396: objects merge member by member, <c>null</c> removes, anything else replaces.</summary>
    public static JsonNode? ApplyMergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject members)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? [];
        foreach (var (name, value) in members)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result.TryGetPropertyValue(name, out var current);
                var merged = ApplyMergePatch(current, value);
                if (current is not null && ReferenceEquals(merged, current))
                {
                    continue;
                }

                result[name] = merged;
            }
        }

        return result;
    }

    /// <summary>The reference tokens of an RFC 6901 pointer (<c>~1</c> is <c>/</c>, <c>~0</c> is <c>~</c>).</summary>
    public static string[] Pointer(string path)
    {
        if (path[0] != '/')
        {
            throw new FormatException("a JSON Pointer starts with /");
        }

        var tokens = path[1..].Split('/');
        for (var i = 0; i < tokens.Length; i++)
        {
            if (tokens[i].Contains('~', StringComparison.Ordinal))
            {
                tokens[i] = tokens[i].Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            }
        }

        return tokens;
    }

    /// <summary>The container the last token of <paramref name="tokens"/> is in.</summary>
    private static JsonNode Resolve(JsonNode? document, string[] tokens)
    {
        var node = document;
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            node = node switch
            {
                JsonObject obj when obj.TryGetPropertyValue(tokens[i], out var child) => child,
                JsonArray array when Index(tokens[i]) is var index && index < array.Count => array[index],
                _ => throw new FormatException($"the path does not resolve at \"{tokens[i]}\""),
            };
        }

        return node ?? throw new FormatException("the path goes through null");
    }

    /// <summary>An array index: digits, no leading zero.</summary>
    private static int Index(string token)
    {
        if (token.Length == 0 || token.Length > 9 || (token.Length > 1 && token[0] == '0') || !token.All(char.IsAsciiDigit))
        {
            throw new FormatException($"\"{token}\" is not an array index");
        }

        return int.Parse(token, NumberStyles.None, CultureInfo.InvariantCulture);
    }
}
