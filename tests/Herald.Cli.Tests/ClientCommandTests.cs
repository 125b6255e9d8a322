using System.Text.Json;
using Herald.Cli.Tests.Infrastructure;

namespace Herald.Cli.Tests;

/// <summary><c>herald publish</c> and <c>herald subscribe</c> end to end, each its own process, against a real hub.</summary>
public sealed class ClientCommandTests : IAsyncLifetime
{
    private const string Topic = "https://example.com/books/1";

    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _processes = [];

    [Fact]
    public async Task Herald_publish_reaches_herald_subscribe_as_json_lines()
    {
        var (hub, baseAddress) = await HeraldProcess.ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "memory"], _directory.Path);
        _processes.Add(hub);
        var hubUrl = new Uri(baseAddress, "/.well-known/mercure").ToString();
        var (code, firstId, stderr) = await HeraldProcess.RunAsync(["publish", "--hub", hubUrl, "--topic", Topic, "--data", "first", "--key", HeraldProcess.Key, "--id", "book-1"], _directory.Path);
        Assert.True(code == 0, stderr);
        Assert.Equal("book-1", firstId.Trim());

        // Resuming from earliest makes the subscription see "first" whenever it connects: no race with the publish.
        var subscriber = HeraldProcess.Start(["subscribe", "--hub", hubUrl, "--topic", Topic, "--last-event-id", "earliest", "--json", "--key", HeraldProcess.Key], _directory.Path);
        _processes.Add(subscriber);
        var line = await subscriber.WaitForLineAsync(l => l.StartsWith('{'));
        await File.WriteAllTextAsync(Path.Combine(_directory.Path, "payload.txt"), "second\nfrom a file");
        (code, _, stderr) = await HeraldProcess.RunAsync(["publish", "--hub", hubUrl, "--topic", Topic, "--data", "@payload.txt", "--private", "--type", "note", "--key", HeraldProcess.Key], _directory.Path);
        Assert.True(code == 0, stderr);
        var second = await subscriber.WaitForLineAsync(l => l.Contains("from a file", StringComparison.Ordinal));

        using var first = JsonDocument.Parse(line);
        Assert.Equal(("book-1", "first"), (first.RootElement.GetProperty("id").GetString(), first.RootElement.GetProperty("data").GetString()));
        using var privateUpdate = JsonDocument.Parse(second);
        Assert.Equal(("note", "second\nfrom a file"), (privateUpdate.RootElement.GetProperty("type").GetString(), privateUpdate.RootElement.GetProperty("data").GetString()));

        // Asked for everything from the start: nothing was missed, so nothing is said about it.
        subscriber.Terminate();
        await subscriber.WaitForExitAsync();
        Assert.DoesNotContain("missed", subscriber.Stderr);
    }

    [Fact]
    public async Task Json_lines_keep_quotes_readable_and_standard_input_loses_its_final_newline_unless_asked()
    {
        var (hub, baseAddress) = await HeraldProcess.ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "memory"], _directory.Path);
        _processes.Add(hub);
        var hubUrl = new Uri(baseAddress, "/.well-known/mercure").ToString();
        string[] publish = ["publish", "--hub", hubUrl, "--topic", Topic, "--data", "-", "--key", HeraldProcess.Key];

        var (code, id, stderr) = await HeraldProcess.RunAsync([.. publish, "--id", "echoed"], _directory.Path, standardInput: "{\"title\":\"Dune\"}\n");
        Assert.True(code == 0, stderr);
        Assert.Equal("echoed", id.Trim());
        (code, _, stderr) = await HeraldProcess.RunAsync([.. publish, "--id", "kept", "--keep-newline"], _directory.Path, standardInput: "kept\n");
        Assert.True(code == 0, stderr);
        var subscriber = HeraldProcess.Start(["subscribe", "--hub", hubUrl, "--topic", Topic, "--last-event-id", "earliest", "--json", "--key", HeraldProcess.Key], _directory.Path);
        _processes.Add(subscriber);
        var echoed = await subscriber.WaitForLineAsync(l => l.Contains("\"echoed\"", StringComparison.Ordinal));
        var kept = await subscriber.WaitForLineAsync(l => l.Contains("\"kept\"", StringComparison.Ordinal));

        Assert.Contains("""
            "data":"{\"title\":\"Dune\"}"
            """, echoed);
        Assert.Equal("kept\n", JsonDocument.Parse(kept).RootElement.GetProperty("data").GetString());
    }

    [Fact]
    public async Task A_refused_publish_exits_1_with_the_hubs_reason()
    {
        var (hub, baseAddress) = await HeraldProcess.ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "memory"], _directory.Path);
        _processes.Add(hub);

        var (code, stdout, stderr) = await HeraldProcess.RunAsync(["publish", "--hub", new Uri(baseAddress, "/.well-known/mercure").ToString(), "--topic", Topic, "--data", "x", "--token", "not-a-jwt"], _directory.Path);

        Assert.Equal(1, code);
        Assert.Empty(stdout.Trim());
        Assert.Contains("401", stderr);
        Assert.Contains("well-formed", stderr);
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
