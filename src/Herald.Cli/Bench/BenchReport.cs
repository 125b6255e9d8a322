using Spectre.Console;

namespace Herald.Cli.Bench;

/// <summary>The end-of-run summary table.</summary>
internal static class BenchReport
{
    public static void Render(BenchResult r, IAnsiConsole console)
    {
        var table = new Table().Title($"herald bench {Markup.Escape(r.Hub)}" + (r.Interrupted ? " [yellow](interrupted)[/]" : "")).AddColumns("", "");
        if (r.StoppedEarly is { } reason)
        {
            table.AddRow("[red]stopped early[/]", $"[red]{Markup.Escape(reason)}: nothing was measured[/]");
        }

        var s = r.Settings;
        table.AddRow("load", $"{s.Subscribers:N0} subscribers, {s.Topics} topic(s), {s.Messages:N0} publishes at {s.Rate:0.##}/s, {s.PayloadBytes} B");
        var c = r.Connections;
        table.AddRow("connections", $"{c.Attempted:N0} attempted, {c.Established:N0} established, {c.Failed:N0} failed{Reasons(c.FailedByReason)}, {c.Dropped:N0} dropped{Reasons(c.DroppedByReason)}");
        var p = r.Publishes;
        table.AddRow("publishes", $"{p.Attempted:N0} sent, {p.Accepted:N0} accepted, {p.Failed:N0} failed{Reasons(p.FailedByReason)}; {p.ActualRate:0.#}/s");
        var d = r.Deliveries;
        table.AddRow("deliveries", $"{d.Expected:N0} expected, {d.Delivered:N0} delivered, {d.Missing:N0} missing, {d.Duplicated:N0} duplicated; {d.PerSecond:N0}/s");
        var l = r.Latency;
        table.AddRow("latency (ms)", $"p50 {l.P50Ms:0.###}  p90 {l.P90Ms:0.###}  p99 {l.P99Ms:0.###}  p99.9 {l.P999Ms:0.###}  max {l.MaxMs:0.###}  ({l.Count:N0} samples)");
        if (r.Server is { } server)
        {
            table.AddRow("server", $"CPU avg {server.CpuAveragePercent:0}% peak {server.CpuPeakPercent:0}% (of one core); RSS {server.RssBaselineMiB:0.#} → {server.RssAfterConnectMiB:0.#} MiB (peak {server.RssPeakMiB:0.#}), {server.RssPerConnectionKiB:0.#} KiB/connection");
        }

        var g = r.Generator;
        table.AddRow("generator", $"CPU avg {g.CpuAveragePercent:0}% peak {g.CpuPeakPercent:0}% of {g.Cores} core(s)" + (g.Saturated ? " [red]SATURATED: figures may measure the generator[/]" : ", not saturated"));
        table.AddRow("machine", $"load average {Markup.Escape(r.Machine.LoadAverage)} at start, .NET {Markup.Escape(r.Machine.Runtime)}");
        console.Write(table);
    }

    private static string Reasons(Dictionary<string, int> reasons) =>
        reasons.Count == 0 ? "" : Markup.Escape(" (" + string.Join(", ", reasons.Select(kv => $"{kv.Key}: {kv.Value}")) + ")");
}
