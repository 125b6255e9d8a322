using System.Net;

namespace Herald.Cli.Bench;

/// <summary>
/// A single self-contained HTML file: the run's JSON inline and a few lines of JavaScript that draw SVG charts
/// (latency over time, latency by percentile, connections). No CDN, no network: it opens from a mail attachment.
/// </summary>
internal static class HtmlReport
{
    public static string Render(BenchResult r)
    {
        // "</" inside the JSON would close the script element early.
        var json = r.ToJson().Replace("</", "<\\/", StringComparison.Ordinal);
        var s = r.Settings;
        var title = WebUtility.HtmlEncode($"herald bench: {s.Subscribers:N0} subscribers, {s.Messages:N0} × {s.PayloadBytes} B at {s.Rate:0.##}/s");
        string Row(string name, string value) => $"<tr><th>{WebUtility.HtmlEncode(name)}</th><td>{WebUtility.HtmlEncode(value)}</td></tr>";
        var c = r.Connections;
        var d = r.Deliveries;
        var l = r.Latency;
        var rows = string.Concat(
            Row("hub", r.Hub + (r.Interrupted ? " (interrupted)" : "")),
            Row("started", r.StartedAt.ToString("u")),
            Row("connections", $"{c.Attempted:N0} attempted, {c.Established:N0} established, {c.Failed:N0} failed, {c.Dropped:N0} dropped"),
            Row("publishes", $"{r.Publishes.Accepted:N0} of {r.Publishes.Attempted:N0} accepted, {r.Publishes.ActualRate:0.#}/s"),
            Row("deliveries", $"{d.Delivered:N0} of {d.Expected:N0}, {d.Missing:N0} missing, {d.Duplicated:N0} duplicated, {d.PerSecond:N0}/s"),
            Row("latency", $"p50 {l.P50Ms} ms, p90 {l.P90Ms} ms, p99 {l.P99Ms} ms, p99.9 {l.P999Ms} ms, max {l.MaxMs} ms"),
            r.Server is { } sv ? Row("server", $"CPU avg {sv.CpuAveragePercent}% peak {sv.CpuPeakPercent}%, RSS peak {sv.RssPeakMiB} MiB, {sv.RssPerConnectionKiB} KiB/connection") : "",
            Row("generator", $"CPU avg {r.Generator.CpuAveragePercent}% of {r.Generator.Cores} core(s)" + (r.Generator.Saturated ? ", SATURATED" : "")),
            Row("machine", $"load average {r.Machine.LoadAverage}, .NET {r.Machine.Runtime}"));

        return $$"""
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>{{title}}</title>
            <style>
            body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
            table{border-collapse:collapse}th,td{text-align:left;padding:.2rem .8rem .2rem 0;vertical-align:top}
            .chart svg{width:100%;height:auto;border:1px solid #ddd;background:#fff}
            .axis{stroke:#999}.grid{stroke:#eee}.label{font-size:11px;fill:#555}.series{fill:none;stroke-width:2}
            </style></head>
            <body>
            <h1>{{title}}</h1>
            <table>{{rows}}</table>
            <h2>Latency over time</h2><div class="chart" id="latency-over-time"></div>
            <h2>Latency by percentile</h2><div class="chart" id="latency-percentiles"></div>
            <h2>Connections</h2><div class="chart" id="connections"></div>
            <script type="application/json" id="bench-data">{{json}}</script>
            <script>
            const run = JSON.parse(document.getElementById('bench-data').textContent);
            const NS = 'http://www.w3.org/2000/svg';
            const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
            function el(name, attrs, parent) {
              const e = document.createElementNS(NS, name);
              for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
              if (parent) parent.appendChild(e);
              return e;
            }
            // series: [{name, points: [[x, y]]}]; xTicks: optional [[x, label]]
            function chart(id, series, xLabel, yLabel, xTicks) {
              const W = 800, H = 300, L = 60, R = 20, T = 20, B = 40;
              const svg = el('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img'}, document.getElementById(id));
              const all = series.flatMap(s => s.points).filter(p => p[1] !== null);
              if (all.length === 0) { el('text', {x: W / 2, y: H / 2, class: 'label'}, svg).textContent = 'no data'; return; }
              const xMin = Math.min(...all.map(p => p[0])), xMax = Math.max(...all.map(p => p[0]), xMin + 1e-9);
              const yMax = Math.max(...all.map(p => p[1]), 1e-9) * 1.1;
              const X = x => L + (x - xMin) / (xMax - xMin) * (W - L - R), Y = y => H - B - y / yMax * (H - T - B);
              for (let i = 0; i <= 4; i++) {
                const v = yMax * i / 4;
                el('line', {x1: L, x2: W - R, y1: Y(v), y2: Y(v), class: 'grid'}, svg);
                el('text', {x: L - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'label'}, svg).textContent = v < 10 ? v.toFixed(2) : v.toFixed(0);
              }
              const ticks = xTicks || [0, 1, 2, 3, 4].map(i => { const x = xMin + (xMax - xMin) * i / 4; return [x, x.toFixed(1)]; });
              for (const [x, label] of ticks) {
                if (x < xMin || x > xMax) continue;
                el('text', {x: X(x), y: H - B + 16, 'text-anchor': 'middle', class: 'label'}, svg).textContent = label;
              }
              el('line', {x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis'}, svg);
              el('line', {x1: L, x2: L, y1: T, y2: H - B, class: 'axis'}, svg);
              el('text', {x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle', class: 'label'}, svg).textContent = xLabel;
              el('text', {x: 12, y: T + 8, class: 'label'}, svg).textContent = yLabel;
              series.forEach((s, i) => {
                const pts = s.points.filter(p => p[1] !== null);
                if (pts.length === 0) return;
                const d = pts.map((p, j) => (j ? 'L' : 'M') + X(p[0]).toFixed(1) + ',' + Y(p[1]).toFixed(1)).join(' ');
                el('path', {d, class: 'series', stroke: colors[i % colors.length], 'data-series': s.name}, svg);
                el('text', {x: W - R - 4, y: T + 14 * (i + 1), 'text-anchor': 'end', class: 'label', fill: colors[i % colors.length]}, svg).textContent = s.name;
              });
            }
            const tl = run.timeline;
            chart('latency-over-time', ['p50Ms', 'p99Ms', 'maxMs'].map(k => ({name: k.replace('Ms', ''), points: tl.map(s => [s.t, s[k]])})), 'seconds since start', 'ms');
            // Percentiles on a log scale of 1/(1-p): the tail gets as much room as the median.
            const px = p => Math.log10(1 / (1 - Math.min(p, 99.999) / 100));
            const dist = run.latency.distribution;
            chart('latency-percentiles', [{name: 'latency', points: dist.map(d => [px(d.percentile), d.ms])}], 'percentile', 'ms',
              [[px(0), '0%'], [px(90), '90%'], [px(99), '99%'], [px(99.9), '99.9%'], [px(99.99), '99.99%'], [px(99.999), 'max']]);
            chart('connections', [
              {name: 'open', points: tl.map(s => [s.t, s.open])},
              {name: 'failed', points: tl.map(s => [s.t, s.failed])},
            ], 'seconds since start', 'connections');
            </script>
            </body>
            </html>
            """;
    }
}
