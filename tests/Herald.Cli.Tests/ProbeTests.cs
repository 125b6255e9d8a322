using System.Text.Json;
using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;

namespace Herald.Cli.Tests;

public sealed class ProbeTests(BrokenEndpoints endpoints) : IClassFixture<BrokenEndpoints>, IAsyncLifetime
{
    private const string HubPath = "/.well-known/mercure";
    private const string Topic = "https://example.com/probe";

    /// <summary>Short windows keep the tests fast; the broken behaviours all show within a second.</summary>
    private const string ShortWindow = "1500ms";

    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _processes = [];

    [Fact]
    public async Task An_unknown_path_is_not_found()
    {
        var (exitCode, report) = await ProbeAsync(endpoints.Url("/nothing-here"), "--duration", ShortWindow);

        AssertProblems(exitCode, report, "not-found");
    }

    [Fact]
    public async Task An_html_page_is_the_wrong_content_type()
    {
        var (exitCode, report) = await ProbeAsync(endpoints.Url("/html"), "--duration", ShortWindow);

        AssertProblems(exitCode, report, "wrong-content-type");
        Assert.Contains("HTML", Detail(report, "wrong-content-type"));
    }

    [Fact]
    public async Task A_stream_that_ends_is_closed_early()
    {
        var (exitCode, report) = await ProbeAsync(endpoints.Url("/closes"), "--duration", ShortWindow);

        AssertProblems(exitCode, report, "stream-closed");
    }

    [Fact]
    public async Task Events_held_back_and_flushed_together_are_buffered_delivery()
    {
        var (exitCode, report) = await ProbeAsync(endpoints.Url("/buffered"), "--duration", "4s");

        AssertProblems(exitCode, report, "buffered");
        Assert.Equal(BrokenEndpoints.BufferedEvents, report.GetProperty("attempts")[0].GetProperty("events").GetInt32());
    }

    [Fact]
    public async Task A_stream_silent_for_twice_the_expected_heartbeat_has_no_heartbeat()
    {
        var (exitCode, report) = await ProbeAsync(endpoints.Url("/silent"), "--duration", "2500ms", "--expect-heartbeat", "300ms");

        AssertProblems(exitCode, report, "no-heartbeat");
    }

    [Fact]
    public async Task A_window_too_short_to_expect_a_heartbeat_reports_not_observed_not_a_problem()
    {
        var (exitCode, report) = await ProbeAsync(endpoints.Url("/silent"), "--duration", ShortWindow);

        Assert.Equal(0, exitCode);
        Assert.Empty(Codes(report));
        var heartbeat = report.GetProperty("heartbeats")[0];
        Assert.Equal("not observed", heartbeat.GetProperty("within60s").GetString());
        Assert.Equal("not observed", heartbeat.GetProperty("within100s").GetString());
    }

    [Fact]
    public async Task A_closed_port_is_connection_refused()
    {
        var (exitCode, report) = await ProbeAsync($"http://127.0.0.1:{BrokenEndpoints.ClosedPort()}/events", "--duration", ShortWindow);

        AssertProblems(exitCode, report, "connection-refused");
    }

    [Fact]
    public async Task The_hub_is_healthy_with_heartbeats_and_a_timed_marker()
    {
        var baseAddress = await ServeAsync("--heartbeat", "1s", "--anonymous", "--jwt-key", HeraldProcess.Key);
        var hub = new Uri(baseAddress, HubPath).ToString();
        var publishToken = Tokens.Create(HeraldProcess.Key, publish: ["*"]);

        // As the README has it: the topic in the URL is where the marker goes.
        var (exitCode, report) = await ProbeAsync(
            hub + "?topic=" + Uri.EscapeDataString(Topic), "--duration", "3s", "--expect-heartbeat", "1s", "--attempts", "3",
            "--publish-url", hub, "--publish-token", publishToken);

        Assert.True(exitCode == 0, report.ToString());
        Assert.Equal("healthy", report.GetProperty("verdict").GetString());
        Assert.Equal(1.0, report.GetProperty("successRate").GetDouble());
        var latency = report.GetProperty("markerLatencyMs").GetDouble();
        Assert.InRange(latency, 0, 1000);
        foreach (var attempt in report.GetProperty("attempts").EnumerateArray())
        {
            Assert.Equal("text/event-stream", attempt.GetProperty("headers").GetProperty("Content-Type").GetString());
            Assert.True(attempt.GetProperty("comments").GetInt32() >= 2, "the open comment and at least one heartbeat");
            Assert.True(attempt.TryGetProperty("markerLatencyMs", out _));
        }

        foreach (var heartbeat in report.GetProperty("heartbeats").EnumerateArray())
        {
            Assert.Equal("ok", heartbeat.GetProperty("within60s").GetString());
        }
    }

    [Fact]
    public async Task A_hub_refusing_the_token_is_auth_refused_with_its_reason()
    {
        var baseAddress = await ServeAsync("--heartbeat", "1s", "--jwt-key", HeraldProcess.Key);

        // A refusal ends the probe at once: the longer window only gives a slow (loaded) machine's first answer time to come.
        var (exitCode, report) = await ProbeAsync(new Uri(baseAddress, HubPath).ToString(), "--topic", Topic, "--token", "not-a-jwt", "--duration", "10s");

        AssertProblems(exitCode, report, "auth-refused");
        Assert.StartsWith("HTTP 401: ", Detail(report, "auth-refused"));
    }

    [Fact]
    public async Task The_human_report_has_a_table_and_a_verdict_line_and_bad_usage_exits_2()
    {
        var (exitCode, stdout, _) = await HeraldProcess.RunAsync(["probe", endpoints.Url("/closes"), "--duration", ShortWindow], _directory.Path);
        var (usageExit, _, stderr) = await HeraldProcess.RunAsync(["probe", "not a url"], _directory.Path);

        Assert.Equal(1, exitCode);
        Assert.Contains("Waterfall", stdout);
        Assert.Contains("Verdict: problem: stream closed early", stdout);
        Assert.Equal(2, usageExit);
        Assert.StartsWith("herald: probe: URL", stderr);
    }

    [Fact]
    public async Task Piped_output_is_not_wrapped_or_truncated_and_shows_no_progress()
    {
        var (exitCode, stdout, _) = await HeraldProcess.RunAsync(["probe", endpoints.Url("/closes"), "--duration", ShortWindow], _directory.Path);

        Assert.Equal(1, exitCode);
        Assert.Contains("│ comments │", stdout);
        Assert.Contains("  fix: Keep the response open (no request timeout on the route; proxy read timeouts above the heartbeat interval).\n", stdout);
        Assert.DoesNotContain("streams open", stdout);
    }

    [Fact]
    public async Task On_a_terminal_a_live_line_shows_the_streams_and_events_while_it_listens()
    {
        // Longer than the other windows: the line is redrawn every 250 ms, and a loaded machine may be slow to connect.
        var (exitCode, output) = await Pty.RunAsync(["probe", endpoints.Url("/silent"), "--duration", "3s"], _directory.Path);

        Assert.True(exitCode == 0, output);
        Assert.Contains("1/1 streams open, 1 events, 0 comments, ", output);
        Assert.Contains("Verdict: healthy", output);
    }

    [Fact]
    public async Task Publish_url_without_any_topic_is_bad_usage()
    {
        var hub = endpoints.Url(HubPath);

        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(["probe", hub, "--publish-url", hub], _directory.Path);

        Assert.Equal(2, exitCode);
        Assert.Equal("", stdout);
        Assert.Equal("herald: probe: --publish-url needs a topic to publish the marker to: add ?topic= to the URL or --topic", stderr.Trim());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        _directory.Dispose();
    }

    private async Task<(int ExitCode, JsonElement Report)> ProbeAsync(params string[] args)
    {
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(["probe", .. args, "--json"], _directory.Path);
        Assert.True(exitCode is 0 or 1, $"exit {exitCode}: {stderr}");
        return (exitCode, JsonDocument.Parse(stdout).RootElement.Clone());
    }

    private async Task<Uri> ServeAsync(params string[] args)
    {
        var (process, baseAddress) = await HeraldProcess.ServeAsync(["--store", "memory", .. args], _directory.Path);
        _processes.Add(process);
        return baseAddress;
    }

    /// <summary>Exit code 1 and exactly these diagnoses; the whole report on failure.</summary>
    private static void AssertProblems(int exitCode, JsonElement report, params string[] codes)
    {
        Assert.True(exitCode == 1 && Codes(report).SequenceEqual(codes), $"exit {exitCode}, expected [{string.Join(", ", codes)}]:\n{report}");
    }

    private static List<string> Codes(JsonElement report) =>
        [.. report.GetProperty("diagnoses").EnumerateArray().Select(d => d.GetProperty("code").GetString()!)];

    private static string Detail(JsonElement report, string code) =>
        report.GetProperty("diagnoses").EnumerateArray().Single(d => d.GetProperty("code").GetString() == code).GetProperty("detail").GetString()!;
}
