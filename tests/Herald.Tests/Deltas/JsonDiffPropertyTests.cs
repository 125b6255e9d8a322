using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Herald.Deltas;
using Herald.Tests.Fuzz;

namespace Herald.Tests.Deltas;

/// <summary>
/// Whatever two documents, the JSON Patch the hub computes rebuilds the second from the first exactly, and a merge patch,
/// when the hub says one is exact, does too: the property the hub relies on (it still verifies each patch before sending).
/// </summary>
public sealed class JsonDiffPropertyTests
{
    private static readonly Gen<string> Names = Gen.Frequency(
        (6, Gen.String[Gen.Char['a', 'e'], 1, 2]),
        (1, Gen.Int[0, 10].Select(i => new[] { "~", "/", "~1", "a/b~0", "", "-", "0", "01", "é", "😀", " " }[i])),
        (1, Fuzzing.HostileText));

    private static readonly Gen<JsonNode?> Scalars = Gen.Frequency(
        (3, Gen.Int[-5, 5].Select(i => (JsonNode?)JsonValue.Create(i))),
        (2, Gen.Int[0, 5].Select(i => JsonNode.Parse(new[] { "1.0", "1e3", "-0", "0.1", "123456789012345678901234567890", "1E-7" }[i]))),
        (3, Names.Select(s => (JsonNode?)JsonValue.Create(s))),
        (1, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))),
        (2, Gen.Int[0, 0].Select(_ => (JsonNode?)null)));

    private static Gen<JsonNode?> Tree(int depth) => depth == 0 ? Scalars : Gen.Frequency(
        (3, Scalars),
        (2, Gen.Select(Names, Tree(depth - 1)).List[0, 5].Select(members =>
        {
            var obj = new JsonObject();
            foreach (var (name, value) in members)
            {
                obj[name] = value?.DeepClone();
            }

            return (JsonNode?)obj;
        })),
        (2, Tree(depth - 1).List[0, 5].Select(items => (JsonNode?)new JsonArray([.. items.Select(i => i?.DeepClone())]))));

    /// <summary>A document, and one made from it by a few random edits (most of it shared, as in a bundle that changed a little).</summary>
    private static readonly Gen<(JsonNode? From, JsonNode? To)> Pairs =
        from original in Tree(4)
        from seed in Gen.Int
        from edits in Gen.Int[0, 6]
        from replacement in Tree(2)
        select (original, Edit(original, new Random(seed), edits, replacement));

    [Fact]
    public void A_json_patch_rebuilds_the_document_exactly() =>
        Pairs.Sample(pair =>
        {
            using var from = Document(pair.From);
            using var to = Document(pair.To);
            var patch = JsonDiff.JsonPatch(from.RootElement, to.RootElement, int.MaxValue);
            Assert.NotNull(patch);
            AssertRebuilds(JsonDelta.JsonPatch, pair.From, patch, to);
        }, iter: Fuzzing.Iterations(3_000), print: Print);

    [Fact]
    public void A_merge_patch_said_to_be_exact_rebuilds_the_document_exactly()
    {
        var made = 0;
        Pairs.Sample(pair =>
        {
            using var from = Document(pair.From);
            using var to = Document(pair.To);
            if (JsonDiff.MergePatch(from.RootElement, to.RootElement, int.MaxValue) is { } patch)
            {
                AssertRebuilds(JsonDelta.MergePatch, pair.From, patch, to);
                Interlocked.Increment(ref made);
            }
        }, iter: Fuzzing.Iterations(3_000), print: Print);

        // Not vacuous: most pairs of objects without nulls have one.
        Assert.True(made > 300, $"only {made} merge patches were made");
    }

    [Fact]
    public void A_patch_over_the_limit_is_not_made()
    {
        using var from = JsonDocument.Parse("""{"a":[1,2,3],"b":"x"}""");
        using var to = JsonDocument.Parse("""{"a":[4,5,6],"b":"y"}""");
        Assert.Null(JsonDiff.JsonPatch(from.RootElement, to.RootElement, 40));
        Assert.Null(JsonDiff.MergePatch(from.RootElement, to.RootElement, 10));
    }

    [Fact]
    public void A_merge_patch_is_refused_where_a_null_would_delete()
    {
        using var from = JsonDocument.Parse("""{"a":1}""");
        using var to = JsonDocument.Parse("""{"a":null}""");
        Assert.Null(JsonDiff.MergePatch(from.RootElement, to.RootElement, int.MaxValue));
    }

    [Fact]
    public void An_insertion_in_a_long_array_is_one_add()
    {
        var items = Enumerable.Range(0, 100).Select(i => $$"""{"id":{{i}}}""").ToList();
        using var from = JsonDocument.Parse("[" + string.Join(",", items) + "]");
        items.Insert(40, """{"id":"new"}""");
        using var to = JsonDocument.Parse("[" + string.Join(",", items) + "]");
        var patch = JsonDiff.JsonPatch(from.RootElement, to.RootElement, int.MaxValue)!;
        Assert.Equal("""[{"op":"add","path":"/40","value":{"id":"new"}}]""", System.Text.Encoding.UTF8.GetString(patch));
    }

    private static void AssertRebuilds(string format, JsonNode? from, byte[] patch, JsonDocument expected)
    {
        var rebuilt = JsonDelta.Apply(format, from?.DeepClone(), JsonNode.Parse(patch));
        using var actual = Document(rebuilt);
        Assert.True(JsonElement.DeepEquals(actual.RootElement, expected.RootElement),
            $"{format} {System.Text.Encoding.UTF8.GetString(patch)} rebuilt {actual.RootElement.GetRawText()}, not {expected.RootElement.GetRawText()}");
    }

    private static JsonDocument Document(JsonNode? node) => JsonDocument.Parse(node?.ToJsonString() ?? "null");

    /// <summary><paramref name="count"/> random edits of a copy: a value replaced, a member or element added or removed.</summary>
    private static JsonNode? Edit(JsonNode? document, Random random, int count, JsonNode? replacement)
    {
        var copy = document?.DeepClone();
        for (var i = 0; i < count; i++)
        {
            var containers = new List<JsonNode>();
            Collect(copy, containers);
            if (containers.Count == 0)
            {
                return replacement?.DeepClone();
            }

            var value = random.Next(3) == 0 ? replacement?.DeepClone() : JsonValue.Create(random.Next(10));
            switch (containers[random.Next(containers.Count)])
            {
                case JsonObject obj:
                    var names = obj.Select(m => m.Key).ToList();
                    if (names.Count > 0 && random.Next(3) == 0)
                    {
                        obj.Remove(names[random.Next(names.Count)]);
                    }
                    else
                    {
                        obj[names.Count > 0 && random.Next(2) == 0 ? names[random.Next(names.Count)] : "n" + random.Next(5)] = value;
                    }

                    break;
                case JsonArray array:
                    var at = random.Next(array.Count + 1);
                    switch (random.Next(3))
                    {
                        case 0 when array.Count > 0:
                            array.RemoveAt(Math.Min(at, array.Count - 1));
                            break;
                        case 1 when at < array.Count:
                            array[at] = value;
                            break;
                        default:
                            array.Insert(at, value);
                            break;
                    }

                    break;
            }
        }

        return copy;
    }

    private static void Collect(JsonNode? node, List<JsonNode> containers)
    {
        switch (node)
        {
            case JsonObject obj:
                containers.Add(obj);
                foreach (var (_, value) in obj)
                {
                    Collect(value, containers);
                }

                break;
            case JsonArray array:
                containers.Add(array);
                foreach (var item in array)
                {
                    Collect(item, containers);
                }

                break;
        }
    }

    private static string Print((JsonNode? From, JsonNode? To) pair) => $"{pair.From?.ToJsonString() ?? "null"} -> {pair.To?.ToJsonString() ?? "null"}";
}
