// Redis store figures through the store API (what a publish waits for, and what every node's dispatcher reads):
// publishes per second with 1/16/64 concurrent publishers, and publish→feed latency from node A's append to node B's
// feed at 200 publishes/s, against the in-process memory store. Starts its own redis-server (appendfsync always) on a
// free loopback port in a temporary folder; ends by itself. Usage: dotnet run -c Release --project bench/redis [seconds]
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Herald;
using Herald.Redis;
using Herald.Storage;
using Microsoft.Extensions.Logging.Abstractions;

var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
var duration = TimeSpan.FromSeconds(seconds);
var data = new string('x', 200);
var limits = new HistoryLimits(100_000, TimeSpan.FromDays(7), 1024L * 1024 * 1024);
var folder = Directory.CreateTempSubdirectory("herald-redis-bench-").FullName;
int port;
using (var probe = new TcpListener(IPAddress.Loopback, 0))
{
    probe.Start();
    port = ((IPEndPoint)probe.LocalEndpoint).Port;
}

var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", folder })
{
    info.ArgumentList.Add(arg);
}

using var redis = Process.Start(info)!;
try
{
    while (await redis.StandardOutput.ReadLineAsync() is { } line && !line.Contains("Ready to accept connections", StringComparison.Ordinal))
    {
    }

    var url = $"redis://127.0.0.1:{port}";
    Console.WriteLine($"redis-server {port} (appendonly yes, appendfsync always); {duration.TotalSeconds:0.#} s per cell, 200-byte updates");
    Console.WriteLine("| publishers | memory (updates/s) | redis (updates/s) |");
    Console.WriteLine("|---:|---:|---:|");
    foreach (var publishers in new[] { 1, 16, 64 })
    {
        var memory = await ThroughputAsync(new MemoryHistoryStore(limits, TimeProvider.System), publishers);
        await using var store = RedisHistoryStore.Connect(url, new RedisStoreOptions(), limits, NullLogger<RedisHistoryStore>.Instance);
        var viaRedis = await ThroughputAsync(store, publishers);
        Console.WriteLine($"| {publishers} | {memory:N0} | {viaRedis:N0} |");
    }

    Console.WriteLine();
    Console.WriteLine("publish→feed latency at 200 publishes/s (append start on one store to arrival on a feed)");
    Console.WriteLine("| path | p50 (ms) | p99 (ms) | max (ms) |");
    Console.WriteLine("|---|---:|---:|---:|");
    var memoryStore = new MemoryHistoryStore(limits, TimeProvider.System);
    Report("memory, same process", await LatencyAsync(memoryStore, memoryStore));
    await using (var a = RedisHistoryStore.Connect(url, new RedisStoreOptions(), limits, NullLogger<RedisHistoryStore>.Instance))
    await using (var b = RedisHistoryStore.Connect(url, new RedisStoreOptions(), limits, NullLogger<RedisHistoryStore>.Instance))
    {
        Report("redis, node A → node B", await LatencyAsync(a, b));
    }
}
finally
{
    redis.Kill();
    await redis.WaitForExitAsync();
    Directory.Delete(folder, recursive: true);
}

async Task<double> ThroughputAsync(IHistoryStore store, int publishers)
{
    var count = 0L;
    var stopwatch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, publishers).Select(_ => Task.Run(async () =>
    {
        while (stopwatch.Elapsed < duration)
        {
            await store.AppendAsync(new Update { Topics = ["https://example.com/books/1"], Data = data, Id = $"urn:uuid:{Guid.CreateVersion7()}" }, default);
            Interlocked.Increment(ref count);
        }
    })));
    return count / stopwatch.Elapsed.TotalSeconds;
}

async Task<List<double>> LatencyAsync(IHistoryStore publisher, IHistoryStore subscriber)
{
    var sent = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
    var latencies = new List<double>();
    var total = (int)(duration.TotalSeconds * 200);
    using var stop = new CancellationTokenSource(duration + TimeSpan.FromSeconds(30));
    var ready = new TaskCompletionSource();
    var reader = Task.Run(async () =>
    {
        await foreach (var stored in subscriber.ReadFeedAsync(stop.Token))
        {
            if (sent.TryGetValue(stored.Update.Id!, out var start))
            {
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (latencies.Count == total)
                {
                    return;
                }
            }
        }
    });

    // The Redis feed starts at the head once it reaches Redis: wait until it is ready before timing.
    while (subscriber is IHealthCheckable { Unavailable: not null })
    {
        await Task.Delay(10);
    }

    var interval = TimeSpan.FromSeconds(1.0 / 200);
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < total; i++)
    {
        var due = interval * i;
        if (clock.Elapsed < due)
        {
            await Task.Delay(due - clock.Elapsed);
        }

        var id = $"lat-{Guid.CreateVersion7()}";
        sent[id] = Stopwatch.GetTimestamp();
        await publisher.AppendAsync(new Update { Topics = ["https://example.com/books/1"], Data = data, Id = id }, default);
    }

    await reader;
    return latencies;
}

static void Report(string path, List<double> latencies)
{
    latencies.Sort();
    Console.WriteLine($"| {path} | {latencies[latencies.Count / 2]:F2} | {latencies[(int)(latencies.Count * 0.99)]:F2} | {latencies[^1]:F2} |");
}
