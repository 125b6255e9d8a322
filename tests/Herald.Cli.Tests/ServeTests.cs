using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;

namespace Herald.Cli.Tests;

public sealed class ServeTests : IAsyncLifetime
{
    private const string HubPath = "/.well-known/mercure";
    private const string Topic = "https://example.com/books/1";

    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _processes = [];
    private readonly HttpClient _client = new() { Timeout = HeraldProcess.WaitLimit };

    [Fact]
    public async Task A_publish_with_a_token_from_herald_token_reaches_a_subscriber()
    {
        var baseAddress = await ServeAsync(["--jwt-key", HeraldProcess.Key]);
        var subscriberToken = await TokenAsync("--subscribe", Topic);
        var publisherToken = await TokenAsync("--publish", Topic, "--ttl", "1h");

        await using var stream = await SseStream.OpenAsync(Client(baseAddress), HubPath, [Topic], subscriberToken, null);
        using var response = await PublishAsync(baseAddress, publisherToken, $"topic={Uri.EscapeDataString(Topic)}&data=hello&private=on");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var item = await stream.NextAsync();
        Assert.Equal("hello", item.Data);
        Assert.Equal(await response.Content.ReadAsStringAsync(), item.EventId);
    }

    [Fact]
    public async Task Healthz_answers_200_and_the_root_is_an_html_page_naming_the_hub()
    {
        var baseAddress = await ServeAsync(["--anonymous"]);

        using var health = await _client.GetAsync(new Uri(baseAddress, "/healthz"));
        using var root = await _client.GetAsync(baseAddress);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        var html = await root.Content.ReadAsStringAsync();
        Assert.Contains("<title>Herald</title>", html);
        Assert.Contains(new Uri(baseAddress, HubPath).ToString(), html);
    }

    [Fact]
    public async Task Without_a_key_serve_warns_that_nobody_can_publish_or_subscribe()
    {
        await ServeAsync([]);

        var process = _processes[^1];
        await process.WaitForLineAsync(l => l.Contains("nobody can subscribe or publish", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, false, 1000)]
    [InlineData(true, false, 2000)]
    [InlineData(true, true, 3000)]
    public async Task Max_request_body_size_comes_from_flag_over_env_over_herald_json_over_appsettings(bool env, bool flag, int expected)
    {
        _directory.Write("appsettings.json", """{ "Herald": { "MaxRequestBodySize": 500, "JwtKey": "appsettings-key-that-is-long-enough-for-hs256" } }""");
        _directory.Write("herald.json", $$"""{ "Herald": { "MaxRequestBodySize": 1000, "JwtKey": "{{HeraldProcess.Key}}" } }""");
        var environment = env ? new Dictionary<string, string> { ["HERALD_MAXREQUESTBODYSIZE"] = "2000" } : null;
        string[] args = flag ? ["--max-request-body-size", "3000"] : [];
        var baseAddress = await ServeAsync(args, environment);
        var token = await TokenAsync("--publish", "*");

        using var fits = await PublishAsync(baseAddress, token, BodyOfSize(expected));
        using var tooLarge = await PublishAsync(baseAddress, token, BodyOfSize(expected + 1));

        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
    }

    [Theory]
    [InlineData("00:00:00.200", false)]
    [InlineData("200ms", false)]
    [InlineData("200ms", true)]
    public async Task Heartbeat_from_the_environment_or_herald_json_reaches_open_streams(string heartbeat, bool inFile)
    {
        if (inFile)
        {
            _directory.Write("herald.json", $$"""{ "Herald": { "Heartbeat": "{{heartbeat}}" } }""");
        }

        var baseAddress = await ServeAsync(["--anonymous"], inFile ? null : new Dictionary<string, string> { ["HERALD_HEARTBEAT"] = heartbeat });

        await using var stream = await SseStream.OpenAsync(Client(baseAddress), HubPath, [Topic], null, null);

        // The stream opens with an empty comment; a heartbeat is a second one.
        await stream.WaitForRawAsync(":\n\n:\n\n");
    }

    [Fact]
    public async Task Sigterm_ends_open_streams_with_a_retry_and_exits_0()
    {
        var baseAddress = await ServeAsync(["--anonymous"]);
        var process = _processes[^1];
        await using var stream = await SseStream.OpenAsync(Client(baseAddress), HubPath, [Topic], null, null);

        process.Terminate();

        await stream.WaitForRawAsync("retry:");
        await stream.Completion.WaitAsync(HeraldProcess.WaitLimit);
        var exit = process.WaitForExitAsync();
        Assert.Equal(0, await exit);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Kills every process the test started, even when an assertion failed first.</summary>
    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        _client.Dispose();
        _directory.Dispose();
    }

    /// <summary>A form body of exactly <paramref name="size"/> bytes.</summary>
    private static string BodyOfSize(int size)
    {
        var prefix = "topic=urn%3Aa&data=";
        return prefix + new string('x', size - prefix.Length);
    }

    private async Task<Uri> ServeAsync(string[] args, IDictionary<string, string>? environment = null)
    {
        var (process, baseAddress) = await HeraldProcess.ServeAsync(args, _directory.Path, environment);
        _processes.Add(process);
        return baseAddress;
    }

    private async Task<string> TokenAsync(params string[] args)
    {
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(["token", "--key", HeraldProcess.Key, .. args], _directory.Path);
        Assert.True(exitCode == 0, stderr);
        return stdout.Trim();
    }

    private HttpClient Client(Uri baseAddress) => new() { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };

    private async Task<HttpResponseMessage> PublishAsync(Uri baseAddress, string token, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, HubPath))
        {
            Content = new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _client.SendAsync(request);
    }
}
