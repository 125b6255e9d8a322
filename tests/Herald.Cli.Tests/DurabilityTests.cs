using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Herald.Cli.Tests;

/// <summary>The durable store seen from outside: the real <c>herald serve</c> process, killed and restarted.</summary>
public sealed class DurabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string HubPath = "/.well-known/mercure";

    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _processes = [];
    private readonly string _publisherToken = Tokens.Create(HeraldProcess.Key, publish: ["*"]);
    private readonly string _subscriberToken = Tokens.Create(HeraldProcess.Key, subscribe: ["*"]);

    [Fact]
    public async Task Every_acknowledged_publish_survives_a_kill_9_exactly_once()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var store = "sqlite:" + Path.Combine(_directory.Path, "history.db");
        var (hub, baseAddress) = await ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", store]);

        // Concurrent publishers (so commits are grouped); the hub is killed after a random number of acknowledgements.
        var acknowledged = new ConcurrentDictionary<string, string>();
        var killAfter = random.Next(200, 1500);
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var publishing = new CancellationTokenSource();
        var publishers = Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = baseAddress, Timeout = HeraldProcess.WaitLimit };
            for (var n = 0; !publishing.IsCancellationRequested; n++)
            {
                var id = $"p{p}-{n}";
                var data = $"payload of {id}\nsecond line";
                try
                {
                    using var response = await PublishAsync(client, id, data);
                    if (response.StatusCode == HttpStatusCode.OK && acknowledged.TryAdd(id, data) && acknowledged.Count >= killAfter)
                    {
                        enough.TrySetResult();
                    }
                }
                catch (HttpRequestException)
                {
                    return;
                }
            }
        })).ToArray();

        await enough.Task.WaitAsync(HeraldProcess.WaitLimit);
        hub.Kill();
        publishing.Cancel();
        await Task.WhenAll(publishers).WaitAsync(HeraldProcess.WaitLimit);
        output.WriteLine($"killed after {acknowledged.Count} acknowledged publishes");

        var (_, restarted) = await ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", store]);
        using var client = new HttpClient { BaseAddress = restarted, Timeout = Timeout.InfiniteTimeSpan };
        await using var stream = await SseStream.OpenAsync(client, HubPath, ["*"], _subscriberToken, "earliest");
        using (var marker = await PublishAsync(client, "after-restart", "marker"))
        {
            Assert.Equal(HttpStatusCode.OK, marker.StatusCode);
        }

        var replayed = (await stream.ReadUntilDataAsync("marker")).SkipLast(1).ToList();
        var ids = replayed.Select(e => e.EventId!).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var byId = replayed.ToDictionary(e => e.EventId!, e => e.Data);
        foreach (var (id, data) in acknowledged)
        {
            Assert.True(byId.TryGetValue(id, out var stored), $"acknowledged {id} is missing after the crash (seed {seed})");
            Assert.Equal(data, stored);
        }

        // Unacknowledged updates may be there, but whole: never half-written.
        Assert.All(replayed, e => Assert.Equal($"payload of {e.EventId}\nsecond line", e.Data));
    }

    [Fact]
    public async Task A_second_hub_on_the_same_file_is_refused_at_start_up()
    {
        var path = Path.Combine(_directory.Path, "shared.db");
        await ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "sqlite:" + path]);

        var (exitCode, _, stderr) = await HeraldProcess.RunAsync(["serve", "--listen", "127.0.0.1:0", "--jwt-key", HeraldProcess.Key, "--store", "sqlite:" + path], _directory.Path);

        Assert.Equal(1, exitCode);
        Assert.Contains("in use by another Herald process", stderr);
        Assert.Contains(path, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task A_corrupt_history_file_stops_start_up_with_its_name()
    {
        var path = Path.Combine(_directory.Path, "corrupt.db");
        await File.WriteAllBytesAsync(path, Enumerable.Repeat((byte)0x5A, 4096).ToArray());

        var (exitCode, _, stderr) = await HeraldProcess.RunAsync(["serve", "--listen", "127.0.0.1:0", "--jwt-key", HeraldProcess.Key, "--store", "sqlite:" + path], _directory.Path);

        Assert.Equal(1, exitCode);
        Assert.Contains(path, stderr);
        Assert.Contains("not a SQLite database", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Serve_without_a_store_flag_keeps_history_in_herald_data()
    {
        var (hub, baseAddress) = await ServeAsync(["--jwt-key", HeraldProcess.Key]);
        using (var client = new HttpClient { BaseAddress = baseAddress })
        using (var response = await PublishAsync(client, "kept", "kept across restarts"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        hub.Terminate();
        Assert.Equal(0, await hub.WaitForExitAsync());
        Assert.True(File.Exists(Path.Combine(_directory.Path, "herald-data", "herald.db")));

        var (_, restarted) = await ServeAsync(["--jwt-key", HeraldProcess.Key]);
        using var again = new HttpClient { BaseAddress = restarted, Timeout = Timeout.InfiniteTimeSpan };
        await using var stream = await SseStream.OpenAsync(again, HubPath, ["t"], _subscriberToken, "earliest");
        Assert.Equal("kept across restarts", (await stream.NextAsync()).Data);
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

    private async Task<(HeraldProcess Process, Uri BaseAddress)> ServeAsync(string[] args)
    {
        var (process, baseAddress) = await HeraldProcess.ServeAsync(args, _directory.Path);
        _processes.Add(process);
        return (process, baseAddress);
    }

    private Task<HttpResponseMessage> PublishAsync(HttpClient client, string id, string data)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, HubPath)
        {
            Content = new FormUrlEncodedContent([new("topic", "t"), new("id", id), new("data", data)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _publisherToken);
        return client.SendAsync(request);
    }
}
