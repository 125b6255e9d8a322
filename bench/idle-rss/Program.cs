using System.Diagnostics;
using System.Net;
using System.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Memory an idle subscriber costs the hub. The hub runs in this process; the subscribers run in a child
// process (this program again, "client" mode), so the client's sockets and buffers never count against the hub.
//   dotnet run -c Release --project bench/idle-rss [-- <subscribers> [--plain]]
// --hold <seconds> (at most 20) keeps the subscriptions open after measuring, e.g. for dotnet-gcdump.
// --allocations also reports the bytes each subscribe allocates (garbage included) and the types sampled.
// --plain maps a bare ASP.NET Core SSE endpoint instead of Herald, to separate Kestrel's share from Herald's.
// The child speaks a line protocol on stdio: it prints "warm" after a warm-up round, waits for "go",
// opens the subscriptions, prints "ready", and exits when its stdin closes.
return args is ["client", var hub, var n]
    ? await IdleClient.RunAsync(hub, int.Parse(n, System.Globalization.CultureInfo.InvariantCulture))
    : await IdleHub.RunAsync(
        args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1000,
        plain: args.Contains("--plain"),
        allocations: args.Contains("--allocations"),
        hold: Array.IndexOf(args, "--hold") is var h and >= 0 ? TimeSpan.FromSeconds(Math.Min(20, int.Parse(args[h + 1], System.Globalization.CultureInfo.InvariantCulture))) : TimeSpan.Zero);

internal static class IdleHub
{
    public static async Task<int> RunAsync(int subscribers, bool plain, bool allocations, TimeSpan hold)
    {
        using var sampler = allocations ? new AllocationSampler() : null;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddHerald(o => o.Anonymous = true);
        await using var app = builder.Build();
        if (plain)
        {
            // The least an SSE stream can cost on Kestrel: headers, one comment, then wait.
            app.MapGet("/.well-known/mercure", static async (Microsoft.AspNetCore.Http.HttpContext context) =>
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.Body.WriteAsync(":\n\n"u8.ToArray(), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                }
            });
        }
        else
        {
            app.MapHerald();
        }

        await app.StartAsync(deadline.Token);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        using var child = Process.Start(ChildStartInfo(address + "/.well-known/mercure", subscribers))!;
        try
        {
            await Expect(child, "warm", deadline.Token);
            var before = Measure();
            sampler?.Start();
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            await child.StandardInput.WriteLineAsync("go".AsMemory(), deadline.Token);
            await child.StandardInput.FlushAsync(deadline.Token);
            var openedIn = await Expect(child, "ready", deadline.Token);
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            var sampled = sampler?.Stop();
            var after = Measure();
            var clientRss = ReadRssKiB(child.Id);

            Console.WriteLine($"endpoint              {(plain ? "plain ASP.NET Core SSE (baseline)" : "Herald")}");
            Console.WriteLine($"subscribers           {subscribers} (opened in {openedIn})");
            Console.WriteLine($"GC                    {(GCSettings.IsServerGC ? "server" : "workstation")}, concurrent={GCSettings.LatencyMode != GCLatencyMode.Batch}, {Environment.ProcessorCount} cores");
            Console.WriteLine($"hub RSS before        {before.RssKiB / 1024.0:F1} MiB");
            Console.WriteLine($"hub RSS after         {after.RssKiB / 1024.0:F1} MiB");
            Console.WriteLine($"hub RSS / subscriber  {(after.RssKiB - before.RssKiB) * 1024.0 / subscribers:F0} B");
            Console.WriteLine($"managed heap before   {before.HeapBytes / 1048576.0:F2} MiB");
            Console.WriteLine($"managed heap after    {after.HeapBytes / 1048576.0:F2} MiB");
            Console.WriteLine($"managed / subscriber  {(after.HeapBytes - before.HeapBytes) / (double)subscribers:F0} B");
            if (sampled is not null)
            {
                Console.WriteLine($"allocated / subscribe {allocated / (double)subscribers:F0} B (garbage included)");
                var total = Math.Max(1, sampled.Sum(s => s.Bytes));
                foreach (var (type, bytes) in sampled.Take(80))
                {
                    Console.WriteLine($"  {bytes * 100.0 / total,5:F1} %  {allocated * (bytes / (double)total) / subscribers,6:F0} B  {type}");
                }
            }

            Console.WriteLine($"client process RSS    {clientRss / 1024.0:F1} MiB (not counted above)");
            if (hold > TimeSpan.Zero)
            {
                Console.WriteLine($"holding {hold.TotalSeconds:F0} s: pid {Environment.ProcessId}");
                await Task.Delay(hold, deadline.Token);
            }

            return 0;
        }
        finally
        {
            // Closing stdin ends the child; it is ours, so kill it by handle if it lingers.
            child.StandardInput.Close();
            if (!child.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                child.Kill();
            }

            await app.StopAsync(CancellationToken.None);
        }
    }

    private static ProcessStartInfo ChildStartInfo(string hubUrl, int subscribers)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(IdleHub).Assembly.Location);
        }

        info.ArgumentList.Add("client");
        info.ArgumentList.Add(hubUrl);
        info.ArgumentList.Add(subscribers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return info;
    }

    /// <summary>Reads the child's next line, which must start with <paramref name="word"/>; returns the rest.</summary>
    private static async Task<string> Expect(Process child, string word, CancellationToken cancellationToken)
    {
        var line = await child.StandardOutput.ReadLineAsync(cancellationToken)
            ?? throw new InvalidOperationException($"the client exited before \"{word}\"");
        return line.StartsWith(word, StringComparison.Ordinal)
            ? line[word.Length..].Trim()
            : throw new InvalidOperationException($"the client said \"{line}\", expected \"{word}\"");
    }

    private static (long RssKiB, long HeapBytes) Measure()
    {
        // Compacting full collections twice (finalizers in between), so freed warm-up garbage is not counted.
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        Thread.Sleep(200);
        return (ReadRssKiB(Environment.ProcessId), GC.GetTotalMemory(forceFullCollection: false));
    }

    internal static long ReadRssKiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no VmRSS in /proc status");
    }
}

internal static class IdleClient
{
    private const int WarmUp = 16;

    public static async Task<int> RunAsync(string hubUrl, int subscribers)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        { Timeout = Timeout.InfiniteTimeSpan };

        // Warm-up: the hub JITs its subscribe path before the baseline is taken.
        var warm = await OpenAllAsync(client, hubUrl, WarmUp, deadline.Token);
        foreach (var response in warm)
        {
            response.Dispose();
        }

        await Task.Delay(300, deadline.Token);
        Console.WriteLine("warm");
        if (await Console.In.ReadLineAsync(deadline.Token) != "go")
        {
            return 1;
        }

        var started = Stopwatch.StartNew();
        var open = await OpenAllAsync(client, hubUrl, subscribers, deadline.Token);
        Console.WriteLine($"ready {started.ElapsedMilliseconds} ms");

        // Hold every stream open until the hub has measured and closes our stdin.
        await Console.In.ReadToEndAsync(deadline.Token);
        foreach (var response in open)
        {
            response.Dispose();
        }

        return 0;
    }

    /// <summary>Opens streams 64 at a time (below Kestrel's listen backlog), each to a topic of its own, and waits for each first comment.</summary>
    private static async Task<HttpResponseMessage[]> OpenAllAsync(HttpClient client, string hubUrl, int count, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(64);
        return await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var url = $"{hubUrl}?topic={Uri.EscapeDataString($"https://example.com/users/{i}")}";
                var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                response.EnsureSuccessStatusCode();
                var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                var first = new byte[1];
                await stream.ReadExactlyAsync(first, cancellationToken);
                return first[0] == (byte)':' ? response : throw new InvalidOperationException("the stream did not open with a comment");
            }
            finally
            {
                gate.Release();
            }
        }));
    }
}
