// Durable vs in-memory publish throughput through the store API (what a publish waits for before its 200),
// replay speed from disk, and file size per update. Runs in a temporary folder, ends by itself.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Herald;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Herald.Storage;
using Herald.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
var duration = TimeSpan.FromSeconds(seconds);
var data = new string('x', 200);
var folder = Directory.CreateTempSubdirectory("herald-store-bench-").FullName;
var unbounded = new HistoryLimits(int.MaxValue, TimeSpan.Zero, long.MaxValue);
try
{
    Console.WriteLine($"HTTP publish throughput (hub in-process on 127.0.0.1, keep-alive clients), {duration.TotalSeconds:0.#} s per cell, 200-byte updates");
    Console.WriteLine("| publishers | memory (publishes/s) | sqlite (publishes/s) | sqlite / memory |");
    Console.WriteLine("|---:|---:|---:|---:|");
    foreach (var publishers in new[] { 1, 16, 64 })
    {
        var memory = await MeasureHttpAsync("memory", publishers);
        var durable = await MeasureHttpAsync("sqlite:" + Path.Combine(folder, $"http-{publishers}.db"), publishers);
        Console.WriteLine($"| {publishers} | {memory:N0} | {durable:N0} | {durable / memory:P0} |");
    }

    Console.WriteLine();
    Console.WriteLine($"store API throughput (no HTTP), {duration.TotalSeconds:0.#} s per cell, 200-byte updates");
    Console.WriteLine("| publishers | memory (updates/s) | sqlite (updates/s) | sqlite / memory |");
    Console.WriteLine("|---:|---:|---:|---:|");
    foreach (var publishers in new[] { 1, 16, 64 })
    {
        var memory = await MeasureAsync(new MemoryHistoryStore(unbounded, TimeProvider.System), publishers);
        var sqlitePath = Path.Combine(folder, $"throughput-{publishers}.db");
        var sqlite = new SqliteHistoryStore(sqlitePath, unbounded, TimeProvider.System, NullLogger<SqliteHistoryStore>.Instance);
        var durable = await MeasureAsync(sqlite, publishers);
        await sqlite.DisposeAsync();
        Console.WriteLine($"| {publishers} | {memory:N0} | {durable:N0} | {durable / memory:P0} |");
    }

    // File size and replay speed for 100,000 retained updates.
    var path = Path.Combine(folder, "size.db");
    await using (var store = new SqliteHistoryStore(path, unbounded, TimeProvider.System, NullLogger<SqliteHistoryStore>.Instance))
    {
        for (var chunk = 0; chunk < 100; chunk++)
        {
            await Task.WhenAll(Enumerable.Range(chunk * 1000, 1000).Select(i =>
                store.AppendAsync(new Update { Topics = ["https://example.com/books/" + (i % 100)], Data = data, Id = $"urn:uuid:{Guid.CreateVersion7()}" }, default).AsTask()));
        }
    }

    var fileBytes = new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);
    Console.WriteLine($"file size for 100,000 updates of 200 bytes: {fileBytes / 1024.0 / 1024.0:F1} MiB ({fileBytes / 100_000.0:F0} B/update)");

    var startup = Stopwatch.StartNew();
    await using (var reopened = new SqliteHistoryStore(path, unbounded, TimeProvider.System, NullLogger<SqliteHistoryStore>.Instance))
    {
        Console.WriteLine($"open with 100,000 retained: {startup.Elapsed.TotalMilliseconds:F0} ms");
        var head = await reopened.GetHeadAsync(default);
        var replay = Stopwatch.StartNew();
        long after = head - 10_000, read = 0;
        while (true)
        {
            var page = await reopened.ReadAfterAsync(after, 256, default);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var stored in page)
            {
                read += stored.Update.Data.Length;
            }

            after = page[^1].Position;
        }

        Console.WriteLine($"replay of the last 10,000 from disk (pages of 256): {replay.Elapsed.TotalMilliseconds:F0} ms ({read / 1024} KiB of data)");
    }
}
finally
{
    Directory.Delete(folder, recursive: true);
}

async Task<double> MeasureAsync(IHistoryStore store, int publishers)
{
    var stop = Stopwatch.StartNew();
    var count = 0L;
    var tasks = Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
    {
        var n = 0;
        while (stop.Elapsed < duration)
        {
            await store.AppendAsync(new Update { Topics = ["t"], Data = data, Id = $"{p}-{n++}" }, default);
            Interlocked.Increment(ref count);
        }
    }));
    await Task.WhenAll(tasks);
    return count / stop.Elapsed.TotalSeconds;
}

async Task<double> MeasureHttpAsync(string store, int publishers)
{
    const string key = "store-throughput-benchmark-key-of-32-bytes!";
    var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
    builder.Services.AddHerald(o =>
    {
        o.JwtKey = key;
        o.Store = store;
    });
    await using var app = builder.Build();
    app.MapHerald();
    await app.StartAsync();
    var address = app.Urls.First();
    var token = Token(key);
    using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = new Uri(address) };
    var stop = Stopwatch.StartNew();
    var count = 0L;
    await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
    {
        var n = 0;
        while (stop.Elapsed < duration)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/.well-known/mercure")
            {
                Content = new FormUrlEncodedContent([new("topic", "https://example.com/t"), new("data", data), new("id", $"{p}-{n++}")]),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.SendAsync(request);
            response.EnsureSuccessStatusCode();
            Interlocked.Increment(ref count);
        }
    })));
    var rate = count / stop.Elapsed.TotalSeconds;
    await app.StopAsync();
    return rate;
}

static string Token(string key)
{
    static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    var input = B64(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")) + "." + B64(Encoding.UTF8.GetBytes("{\"mercure\":{\"publish\":[\"*\"]}}"));
    return input + "." + B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(input)));
}
