using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Cli.Tests.Infrastructure;

namespace Herald.Cli.Tests;

public sealed partial class BenchTests : IAsyncLifetime
{
    private const int Subscribers = 200;
    private const int Messages = 100;

    private readonly TempDirectory _directory = new();
    private HeraldProcess? _hub;
    private Uri _baseAddress = null!;

    public async Task InitializeAsync()
    {
        (_hub, _baseAddress) = await HeraldProcess.ServeAsync(["--store", "memory", "--heartbeat", "1s", "--jwt-key", HeraldProcess.Key], _directory.Path);
    }

    public async Task DisposeAsync()
    {
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task Every_update_reaches_every_subscriber_exactly_once_and_the_reports_are_written()
    {
        var json = Path.Combine(_directory.Path, "run.json");
        var html = Path.Combine(_directory.Path, "run.html");

        var (exitCode, stdout, stderr) = await BenchAsync(json, html);

        Assert.True(exitCode == 0, stderr + stdout);
        var run = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        var connections = run.GetProperty("connections");
        Assert.Equal(Subscribers, connections.GetProperty("established").GetInt32());
        Assert.Equal(0, connections.GetProperty("failed").GetInt32());
        Assert.Equal(Messages, run.GetProperty("publishes").GetProperty("accepted").GetInt32());
        var deliveries = run.GetProperty("deliveries");
        Assert.Equal(Subscribers * Messages, deliveries.GetProperty("expected").GetInt64());
        Assert.Equal(Subscribers * Messages, deliveries.GetProperty("delivered").GetInt64());
        Assert.Equal(0, deliveries.GetProperty("missing").GetInt64());
        Assert.Equal(0, deliveries.GetProperty("duplicated").GetInt64());

        var latency = run.GetProperty("latency");
        Assert.Equal(Subscribers * Messages, latency.GetProperty("count").GetInt64());
        var percentiles = new[] { "p50Ms", "p90Ms", "p99Ms", "p999Ms", "maxMs" }.Select(p => latency.GetProperty(p).GetDouble()).ToList();
        Assert.True(percentiles[0] > 0, "p50 is a real measurement");
        Assert.Equal(percentiles.Order(), percentiles);
        Assert.True(run.GetProperty("server").GetProperty("rssPeakMiB").GetDouble() > 0, "the hub's RSS was sampled");
        Assert.Contains("20,000 delivered, 0 missing, 0 duplicated", stdout);
        Assert.True(File.Exists(html));
    }

    [Fact]
    public async Task The_html_report_draws_its_charts_in_headless_chromium()
    {
        var json = Path.Combine(_directory.Path, "run.json");
        var html = Path.Combine(_directory.Path, "run.html");
        var (exitCode, stdout, stderr) = await BenchAsync(json, html);
        Assert.True(exitCode == 0, stderr + stdout);

        var dom = await Chromium.DumpDomAsync(html);

        foreach (var chart in new[] { "latency-over-time", "latency-percentiles", "connections" })
        {
            var start = dom.IndexOf($"id=\"{chart}\"", StringComparison.Ordinal);
            Assert.True(start >= 0, $"no #{chart} in:\n{dom}");
            var section = dom[start..dom.IndexOf("</div>", start, StringComparison.Ordinal)];
            Assert.Contains("<svg", section);
            Assert.Matches(DrawnPath(), section);
        }

        Assert.Contains("data-series=\"p99\"", dom);
        Assert.Contains("data-series=\"open\"", dom);
    }

    [Fact]
    public async Task Compare_prints_runs_side_by_side_with_ratios_and_bad_usage_exits_2()
    {
        var json = Path.Combine(_directory.Path, "a.json");
        var (exitCode, stdout, stderr) = await BenchAsync(json, null);
        Assert.True(exitCode == 0, stderr + stdout);
        File.Copy(json, Path.Combine(_directory.Path, "b.json"));

        var compare = await HeraldProcess.RunAsync(["bench", "compare", json, Path.Combine(_directory.Path, "b.json")], _directory.Path);
        var noHub = await HeraldProcess.RunAsync(["bench", "--subscribers", "1"], _directory.Path);

        Assert.Equal(0, compare.ExitCode);
        Assert.Contains("latency p99 ms", compare.Stdout);
        Assert.Contains("(×1.00)", compare.Stdout);
        Assert.Equal(2, noHub.ExitCode);
        Assert.StartsWith("herald: bench: --hub is required", noHub.Stderr);
    }

    [Fact]
    public async Task No_subscriber_connecting_stops_the_run_before_publishing_and_exits_1()
    {
        var json = Path.Combine(_directory.Path, "run.json");

        // No token for a hub that needs one: every subscriber is refused. 1,000 publishes at 10/s would take 100 s.
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(
            ["bench", "--hub", HubUrl, "--subscribers", "5", "--messages", "1000", "--rate", "10", "--json", json], _directory.Path);

        Assert.True(exitCode == 1, stderr + stdout);
        Assert.Equal("herald: bench: no subscriber could connect (HTTP 401: 5): nothing was measured", stderr.Trim());
        var run = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(0, run.GetProperty("publishes").GetProperty("attempted").GetInt32());
        Assert.StartsWith("no subscriber could connect", run.GetProperty("stoppedEarly").GetString());
    }

    [Fact]
    public async Task No_publish_accepted_stops_publishing_and_exits_1()
    {
        var json = Path.Combine(_directory.Path, "run.json");

        // A subscribe-only token: subscribers connect, every publish is refused.
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(
            [
                "bench", "--hub", HubUrl, "--token", Herald.Tests.Infrastructure.Tokens.Create(HeraldProcess.Key, subscribe: ["*"]),
                "--subscribers", "5", "--messages", "1000", "--rate", "100", "--json", json,
            ],
            _directory.Path);

        Assert.True(exitCode == 1, stderr + stdout);
        Assert.StartsWith("herald: bench: no publish was accepted (HTTP 403: ", stderr.Trim());
        var publishes = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("publishes");
        Assert.Equal(0, publishes.GetProperty("accepted").GetInt32());
        Assert.InRange(publishes.GetProperty("attempted").GetInt32(), 1, 100);
    }

    private string HubUrl => new Uri(_baseAddress, "/.well-known/mercure").ToString();

    private Task<(int ExitCode, string Stdout, string Stderr)> BenchAsync(string json, string? html) =>
        HeraldProcess.RunAsync(
            [
                "bench", "--hub", new Uri(_baseAddress, "/.well-known/mercure").ToString(), "--jwt-key", HeraldProcess.Key,
                "--subscribers", Subscribers.ToString(), "--messages", Messages.ToString(), "--rate", "200",
                "--server-pid", _hub!.Id.ToString(), "--json", json, .. html is null ? Array.Empty<string>() : ["--html", html],
            ],
            _directory.Path);

    /// <summary>A series path the report's script drew: at least two points.</summary>
    [GeneratedRegex("<path d=\"M[0-9.]+,[0-9.]+ L[0-9.]+,[0-9.]+[^\"]*\" class=\"series\"")]
    private static partial Regex DrawnPath();
}
