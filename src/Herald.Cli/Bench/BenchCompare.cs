using Spectre.Console;

namespace Herald.Cli.Bench;

/// <summary><c>herald bench compare A.json B.json …</c>: runs side by side, each against the first as a ratio.</summary>
internal static class BenchCompare
{
    private static readonly (string Name, Func<BenchResult, double?> Value)[] Metrics =
    [
        ("subscribers established", r => r.Connections.Established),
        ("connections failed", r => r.Connections.Failed),
        ("publishes accepted", r => r.Publishes.Accepted),
        ("publish rate /s", r => r.Publishes.ActualRate),
        ("deliveries", r => r.Deliveries.Delivered),
        ("missing", r => r.Deliveries.Missing),
        ("duplicated", r => r.Deliveries.Duplicated),
        ("deliveries /s", r => r.Deliveries.PerSecond),
        ("latency p50 ms", r => r.Latency.P50Ms),
        ("latency p90 ms", r => r.Latency.P90Ms),
        ("latency p99 ms", r => r.Latency.P99Ms),
        ("latency p99.9 ms", r => r.Latency.P999Ms),
        ("latency max ms", r => r.Latency.MaxMs),
        ("server CPU avg %", r => r.Server?.CpuAveragePercent),
        ("server RSS peak MiB", r => r.Server?.RssPeakMiB),
        ("server KiB/connection", r => r.Server?.RssPerConnectionKiB),
        ("generator CPU avg %", r => r.Generator.CpuAveragePercent),
    ];

    public static void Render(IReadOnlyList<(string Name, BenchResult Result)> runs, IAnsiConsole console)
    {
        var table = new Table().AddColumn("metric");
        foreach (var (name, _) in runs)
        {
            table.AddColumn(new TableColumn(Markup.Escape(name)).RightAligned());
        }

        foreach (var (metric, value) in Metrics)
        {
            var baseline = value(runs[0].Result);
            var cells = new List<string> { metric };
            for (var i = 0; i < runs.Count; i++)
            {
                var v = value(runs[i].Result);
                var text = v is null ? "-" : v.Value.ToString("#,0.###");
                if (i > 0 && v is not null && baseline is > 0)
                {
                    text += $" (×{v.Value / baseline.Value:0.00})";
                }

                cells.Add(text);
            }

            table.AddRow(cells.ToArray());
        }

        console.Write(table);
    }
}
