// Deltas on the two bundles of issue 19 (~200 KB, 1 % of fields changing per update): bytes on the wire per delivery,
// whole vs delta (identity, and gzip as the hub compresses each frame once), and the hub's CPU per update to make the
// patch (document parsed, both formats diffed, the chosen one verified by applying it), through the dispatcher's own
// RetainedDeltas; then what a .NET client pays: parsing the whole document vs parsing the patch and applying it.
// CPU is the process's CPU time over each loop (not wall time: the machine may be shared).
// Run: dotnet run -c Release --project bench/deltas [-- updates]
using System.Diagnostics;
using System.Text.Json.Nodes;
using Herald;
using Herald.Deltas;
using Herald.Storage;
using Herald.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

if (args.Length > 0 && args[0] == "sweep")
{
    Sweep();
    return;
}

var updates = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 200;
Console.WriteLine($"{updates} updates per shape, each shape run once before to warm the JIT up");
Console.WriteLine("| bundle | document | whole frame | delta frame | whole, gzip | delta, gzip | format | hub CPU per update | client: parse whole | client: apply delta |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
foreach (var (keyed, print) in (ReadOnlySpan<(bool, bool)>)[(true, false), (false, false), (true, true), (false, true)])
{
    var bundles = new Bundles(keyed);
    var versions = Enumerable.Range(0, updates + 1).Select(_ => bundles.Next()).ToList();
    var stored = versions.Select((data, i) => new StoredUpdate(i + 1, new Update { Topics = ["https://example.com/bots"], Data = data, Id = "v" + i, Retain = true }, DateTimeOffset.UtcNow)).ToList();
    var deltas = new RetainedDeltas(NullLogger<RetainedDeltas>.Instance);
    var bases = new DeltaBases(DeltaFormats.JsonPatch | DeltaFormats.MergePatch);

    // The hub: v0 goes whole (no base), every later version as a delta against the one before.
    var frames = new List<Herald.Protocol.SseFrame>();
    var hubCpu = Cpu();
    foreach (var update in stored)
    {
        deltas.Begin(update);
        frames.Add(deltas.FrameFor(bases));
        deltas.End();
    }

    hubCpu = Cpu() - hubCpu;

    // The client: each delta parsed and applied to the document it holds, against parsing each whole version.
    var patches = frames.Skip(1).Select(f => Fields(System.Text.Encoding.UTF8.GetString(f.Bytes.Span))).ToList();
    var parseCpu = Cpu();
    foreach (var data in versions.Skip(1))
    {
        JsonNode.Parse(data);
    }

    parseCpu = Cpu() - parseCpu;
    var document = JsonNode.Parse(versions[0]);
    var applyCpu = Cpu();
    foreach (var (format, patch) in patches)
    {
        document = JsonDelta.Apply(format, document, JsonNode.Parse(patch));
    }

    applyCpu = Cpu() - applyCpu;
    if (!JsonNode.DeepEquals(document, JsonNode.Parse(versions[^1])))
    {
        throw new InvalidOperationException("the deltas did not rebuild the last document");
    }

    if (!print)
    {
        continue;
    }

    var sent = frames.Skip(1).ToList();
    var whole = stored.Skip(1).ToList();
    string Ms(TimeSpan cpu) => $"{cpu.TotalMilliseconds / updates:0.00} ms";
    Console.WriteLine($"| {(keyed ? "keyed by id" : "array of 1,700")} | {versions.Skip(1).Average(v => System.Text.Encoding.UTF8.GetByteCount(v)):N0} B"
        + $" | {whole.Average(u => u.Frame.Length):N0} B | {sent.Average(f => f.Length):N0} B | {whole.Average(u => u.Frame.Gzip.Blocks.Length):N0} B | {sent.Average(f => f.Gzip.Blocks.Length):N0} B"
        + $" | {string.Join(", ", patches.GroupBy(p => p.Format).Select(g => $"{g.Key} ×{g.Count()}"))} | {Ms(hubCpu)} | {Ms(parseCpu)} | {Ms(applyCpu)} |");
}

static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

static (string Format, string Patch) Fields(string frame)
{
    var lines = frame.Split('\n');
    var field = lines.FirstOrDefault(l => l.StartsWith("herald-delta: ", StringComparison.Ordinal))
        ?? throw new InvalidOperationException("a version went whole");
    JsonDelta.TryParseField(field["herald-delta: ".Length..], out var format, out _);
    return (format, lines.First(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]);
}

// How large a patch is against the document, and what applying it costs a client against parsing the document, as
// more of the bundle changes: where a delta stops paying (RetainedDeltas.MaxRatio).
static void Sweep()
{
    Console.WriteLine("| bundle | fields changed | JSON Patch / document | merge patch / document | client: parse whole | client: parse + apply the smaller patch |");
    Console.WriteLine("|---|---|---|---|---|---|");
    foreach (var keyed in (bool[])[true, false])
    {
        foreach (var changing in (double[])[0.01, 0.05, 0.1, 0.2, 0.4, 0.8])
        {
            var bundles = new Bundles(keyed, changing: changing);
            var versions = Enumerable.Range(0, 41).Select(_ => bundles.Next()).ToList();
            double jsonRatio = 0, mergeRatio = 0;
            var patches = new List<(string Format, byte[] Patch)>();
            for (var i = 1; i < versions.Count; i++)
            {
                using var from = System.Text.Json.JsonDocument.Parse(versions[i - 1]);
                using var to = System.Text.Json.JsonDocument.Parse(versions[i]);
                var json = JsonDiff.JsonPatch(from.RootElement, to.RootElement, int.MaxValue)!;
                var merge = JsonDiff.MergePatch(from.RootElement, to.RootElement, int.MaxValue);
                var size = System.Text.Encoding.UTF8.GetByteCount(versions[i]);
                jsonRatio += (double)json.Length / size;
                mergeRatio += (double)(merge?.Length ?? size) / size;
                patches.Add(merge is not null && merge.Length < json.Length ? (JsonDelta.MergePatch, merge) : (JsonDelta.JsonPatch, json));
            }

            var parse = Cpu();
            foreach (var data in versions.Skip(1))
            {
                JsonNode.Parse(data);
            }

            parse = Cpu() - parse;
            var document = JsonNode.Parse(versions[0]);
            var apply = Cpu();
            foreach (var (format, patch) in patches)
            {
                document = JsonDelta.Apply(format, document, JsonNode.Parse(patch));
            }

            apply = Cpu() - apply;
            var n = versions.Count - 1;
            Console.WriteLine($"| {(keyed ? "keyed by id" : "array")} | {changing:P0} | {jsonRatio / n:P1} | {(keyed ? (mergeRatio / n).ToString("P1", System.Globalization.CultureInfo.InvariantCulture) : "– (array root)")} | {parse.TotalMilliseconds / n:0.00} ms | {apply.TotalMilliseconds / n:0.00} ms |");
        }
    }
}
