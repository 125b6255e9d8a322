using System.Text.Json.Nodes;

namespace Herald.Tests.Protocol.Wpt;

/// <summary>Loads a vendored Web Platform Tests data file (copied beside the test assembly).</summary>
internal static class WptData
{
    public static JsonArray Load(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Protocol", "Wpt", name)))!.AsArray();

    /// <summary>One theory row per entry: its index, and a label for the test explorer.</summary>
    public static TheoryData<int, string> Rows(string name, Func<JsonNode, bool> include, Func<JsonNode, string> label)
    {
        var rows = new TheoryData<int, string>();
        var data = Load(name);
        for (var i = 0; i < data.Count; i++)
        {
            if (data[i] is JsonObject entry && include(entry))
            {
                var text = label(entry);
                rows.Add(i, text.Length > 120 ? text[..120] : text);
            }
        }

        return rows;
    }
}
