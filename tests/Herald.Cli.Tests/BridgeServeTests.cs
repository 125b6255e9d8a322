using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Cli.Tests;

public sealed class BridgeServeTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _processes = [];

    [Fact]
    public async Task Bridges_come_from_the_flag_and_from_herald_json_with_their_headers()
    {
        await using var upstream = await Upstream.StartAsync();
        var keys = new System.Collections.Concurrent.ConcurrentQueue<string>();
        upstream.Answer = async context =>
        {
            keys.Enqueue(context.Request.Headers["X-Api-Key"].ToString());
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"path\":\"" + context.Request.Path + context.Request.QueryString + "\"}");
        };
        _directory.Write("herald.json", $$"""
            { "Herald": { "Bridges": [ { "Topic": "https://example.com/json", "Url": "{{upstream.BaseAddress}}json", "Interval": "200ms", "Timeout": "2s", "Headers": { "X-Api-Key": "sekret" } } ] } }
            """);

        var (process, baseAddress) = await HeraldProcess.ServeAsync(
            ["--anonymous", "--store", "memory", "--bridge", $"https://example.com/flag={upstream.BaseAddress}flag?a=1@300ms"], _directory.Path);
        _processes.Add(process);
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        await using var stream = await SseStream.OpenAsync(client, "/.well-known/mercure", ["https://example.com/json", "https://example.com/flag"], null, null);

        var values = new[] { (await stream.NextAsync()).Data, (await stream.NextAsync()).Data };
        Assert.Equal(["{\"path\":\"/flag?a=1\"}", "{\"path\":\"/json\"}"], values.Order(StringComparer.Ordinal));
        Assert.Contains("sekret", keys);
    }

    [Theory]
    [InlineData("no-url-here")]
    [InlineData("t=ftp://example.com/doc")]
    [InlineData("t=http://example.com/doc@5parsecs")]
    public async Task A_malformed_bridge_flag_is_a_usage_error_naming_it(string value)
    {
        var (exitCode, _, stderr) = await HeraldProcess.RunAsync(["serve", "--bridge", value], _directory.Path);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("bridge", stderr, StringComparison.OrdinalIgnoreCase);
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
}
