using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;

namespace Herald.Cli.Tests;

/// <summary><c>herald serve --metrics</c>: Prometheus metrics on a listener of their own, and nowhere else.</summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private const string Topic = "https://example.com/books/1";

    /// <summary>HeraldMetrics.DeliverySampleRate: one delivery in this many is timed (this project does not reference the library).</summary>
    private const int DeliverySampleRate = 64;

    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _processes = [];
    private readonly HttpClient _client = new() { Timeout = HeraldProcess.WaitLimit };

    [Fact]
    public async Task The_metrics_listener_shows_the_hubs_instruments_after_traffic_and_only_there()
    {
        var (process, hub) = await HeraldProcess.ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "memory", "--metrics", "--metrics-listen", "127.0.0.1:0"], _directory.Path);
        _processes.Add(process);
        const string prefix = "Herald metrics on ";
        var metrics = new Uri((await process.WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal)))[prefix.Length..]);

        var subscriber = Tokens.Create(HeraldProcess.Key, subscribe: [Topic]);
        await using var stream = await SseStream.OpenAsync(new HttpClient { BaseAddress = hub, Timeout = Timeout.InfiniteTimeSpan }, "/.well-known/mercure", [Topic], subscriber, null);
        Assert.Equal(HttpStatusCode.OK, (await PublishAsync(hub, $"topic={Uri.EscapeDataString(Topic)}&data=hello")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PublishAsync(hub, "topic=&data=x")).StatusCode);
        Assert.Equal("hello", (await stream.NextAsync()).Data);

        var exposition = await _client.GetStringAsync(metrics);
        Assert.Contains("herald_publishes_total{otel_scope_name=\"Herald\",http_response_status_code=\"200\"} 1", exposition, StringComparison.Ordinal);
        Assert.Contains("herald_publishes_total{otel_scope_name=\"Herald\",http_response_status_code=\"400\"} 1", exposition, StringComparison.Ordinal);
        Assert.Contains("herald_streams_active{otel_scope_name=\"Herald\"} 1", exposition, StringComparison.Ordinal);
        Assert.Contains("herald_dispatch_lag_seconds_count{otel_scope_name=\"Herald\"} 1", exposition, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", exposition, StringComparison.Ordinal);
        Assert.DoesNotContain("example.com", exposition, StringComparison.Ordinal);

        // Each listener answers only what it is for.
        using var onHub = await _client.GetAsync(new Uri(hub, "/metrics"));
        using var hubOnMetrics = await _client.GetAsync(new Uri(metrics, "/.well-known/mercure?topic=x"));
        Assert.Equal(HttpStatusCode.NotFound, onHub.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, hubOnMetrics.StatusCode);
    }

    [Fact]
    public async Task Every_query_of_the_grafana_dashboard_names_metrics_the_exporter_serves()
    {
        var (process, hub) = await HeraldProcess.ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "memory", "--max-connections", "1", "--metrics", "--metrics-listen", "127.0.0.1:0"], _directory.Path);
        _processes.Add(process);
        const string prefix = "Herald metrics on ";
        var metrics = new Uri((await process.WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal)))[prefix.Length..]);

        // Traffic that moves every instrument: publishes, a resumed stream with more deliveries than the sample rate,
        // a refused second stream, a long poll, and a stream its token's expiry ends.
        var client = new HttpClient { BaseAddress = hub, Timeout = Timeout.InfiniteTimeSpan };
        // 8 s: room for the publishes below on a loaded machine (3 s was not), short enough to wait for the expiry.
        var expiring = Tokens.Create(HeraldProcess.Key, subscribe: [Topic], expires: DateTimeOffset.UtcNow.AddSeconds(8));
        await using (var stream = await SseStream.OpenAsync(client, "/.well-known/mercure", [Topic], expiring, "earliest"))
        {
            using (var refused = await client.GetAsync("/.well-known/mercure?topic=x&authorization=" + expiring, HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            }

            for (var i = 0; i < DeliverySampleRate; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await PublishAsync(hub, $"topic={Uri.EscapeDataString(Topic)}&data=u{i}")).StatusCode);
            }

            await stream.ReadUntilDataAsync("u" + (DeliverySampleRate - 1));
            await stream.Completion.WaitAsync(HeraldProcess.WaitLimit);
        }

        using (var poll = await client.GetAsync($"/.well-known/mercure/poll?topic=x&timeout=0&authorization={Tokens.Create(HeraldProcess.Key, subscribe: ["x"])}"))
        {
            Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        }

        var exposition = await _client.GetStringAsync(metrics);
        var dashboard = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "grafana-dashboard.json")));
        var names = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => System.Text.RegularExpressions.Regex.Matches(t.GetProperty("expr").GetString()!, "herald_[a-z_]+").Select(m => m.Value))
            .Distinct()
            .ToList();

        Assert.True(names.Count >= 10, string.Join(", ", names));
        Assert.All(names, name => Assert.Matches($"(?m)^{name}[{{ ]", exposition));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Herald.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Herald.slnx not found");
    }

    [Fact]
    public async Task Metrics_are_off_by_default()
    {
        var (process, hub) = await HeraldProcess.ServeAsync(["--anonymous", "--store", "memory"], _directory.Path);
        _processes.Add(process);

        using var response = await _client.GetAsync(new Uri(hub, "/metrics"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("metrics", process.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_metrics_address_without_metrics_is_a_usage_error()
    {
        var (exitCode, _, stderr) = await HeraldProcess.RunAsync(["serve", "--metrics-listen", "127.0.0.1:9464"], _directory.Path);

        Assert.Equal(2, exitCode);
        Assert.Contains("needs --metrics", stderr, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        _client.Dispose();
        _directory.Dispose();
    }

    private Task<HttpResponseMessage> PublishAsync(Uri hub, string form)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(hub, "/.well-known/mercure"))
        {
            Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Create(HeraldProcess.Key, publish: ["*"]));
        return _client.SendAsync(request);
    }
}
