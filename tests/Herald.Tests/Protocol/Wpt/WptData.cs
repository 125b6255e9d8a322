using System.Text.Json.Nodes;

namespace Herald.Tests.Protocol.Wpt;

/// <summary>Loads a vendored Web Platform Tests data file (copied beside the test assembly).</summary>
internal static class WptData
{
    /// <summary>
    /// The file's entries. Escaped lone surrogates (which System.Text.Json refuses) become U+FFFD first: what the
    /// JavaScript harness's strings become when the URL API converts them to USVString.
    /// </summary>
    public static JsonArray Load(string name)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Protocol", "Wpt", name));
        text = System.Text.RegularExpressions.Regex.Replace(text, @"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])", @"\uFFFD");
        text = System.Text.RegularExpressions.Regex.Replace(text, @"(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}", @"\uFFFD");
        return JsonNode.Parse(text)!.AsArray();
    }

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
