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
            // A round step near range/count (1, 2, 2.5 or 5 times a power of ten), so ticks read 0, 50, 100, not 0, 37.4, 74.8.
            function step(range, count) {
              const raw = range / count, e = 10 ** Math.floor(Math.log10(raw));
              return [1, 2, 2.5, 5, 10].map(m => m * e).find(c => c >= raw);
            }
            const fmt = v => Number.isInteger(v) ? v.toString() : (+v.toPrecision(3)).toString();
            // series: [{name, points: [[x, y]]}]; xTicks: optional [[x, label]]
            function chart(id, series, xLabel, yLabel, xTicks) {
              const W = 800, H = 300, L = 64, R = 20, T = 34, B = 44;
              const svg = el('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': yLabel + ' by ' + xLabel}, document.getElementById(id));
              const all = series.flatMap(s => s.points).filter(p => p[1] !== null);
              if (all.length === 0) { el('text', {x: W / 2, y: H / 2, class: 'label'}, svg).textContent = 'no data'; return; }
              const xMin = Math.min(...all.map(p => p[0])), xMax = Math.max(...all.map(p => p[0]), xMin + 1e-9);
              const yStep = step(Math.max(...all.map(p => p[1]), 1e-9), 4), yMax = yStep * Math.ceil(Math.max(...all.map(p => p[1]), 1e-9) / yStep);
              const X = x => L + (x - xMin) / (xMax - xMin) * (W - L - R), Y = y => H - B - y / yMax * (H - T - B);
              for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
                el('line', {x1: L, x2: W - R, y1: Y(v), y2: Y(v), class: 'grid'}, svg);
                el('text', {x: L - 8, y: Y(v) + 4, 'text-anchor': 'end', class: 'label'}, svg).textContent = fmt(v);
              }
              const xStep = step(xMax - xMin, 5);
              const ticks = xTicks || Array.from({length: Math.floor((xMax - xMin) / xStep) + 1}, (_, i) => { const x = Math.ceil(xMin / xStep) * xStep + i * xStep; return [x, fmt(x)]; });
              for (const [x, label] of ticks) {
                if (x < xMin - 1e-9 || x > xMax + 1e-9) continue;
                el('line', {x1: X(x), x2: X(x), y1: H - B, y2: H - B + 4, class: 'axis'}, svg);
                el('text', {x: X(x), y: H - B + 18, 'text-anchor': 'middle', class: 'label'}, svg).textContent = label;
              }
              el('line', {x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis'}, svg);
              el('line', {x1: L, x2: L, y1: T, y2: H - B, class: 'axis'}, svg);
              el('text', {x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle', class: 'label'}, svg).textContent = xLabel;
              // The unit above the axis, clear of the tick labels.
              el('text', {x: L, y: T - 14, 'text-anchor': 'middle', class: 'label'}, svg).textContent = yLabel;
              series.forEach((s, i) => {
                const pts = s.points.filter(p => p[1] !== null);
                if (pts.length === 0) return;
                const color = colors[i % colors.length];
                const d = pts.map((p, j) => (j ? 'L' : 'M') + X(p[0]).toFixed(1) + ',' + Y(p[1]).toFixed(1)).join(' ');
                el('path', {d, class: 'series', stroke: color, 'data-series': s.name}, svg);
                // The legend in its line's colour (a style, since the label class's fill would win over an attribute).
                const legend = el('text', {x: W - R - 8 - (series.length - 1 - i) * 90, y: 16, 'text-anchor': 'end', class: 'label', style: `fill:${color};font-weight:600`}, svg);
                legend.textContent = '\u2014 ' + s.name;
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
