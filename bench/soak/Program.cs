using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime;
using Herald;
using Herald.Fanout;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Soak: holds many subscriptions open for minutes with frequent heartbeats and a trickle of publishes, then reports
// dropped connections (must be 0), whether every subscriber got every update exactly once and in order, the hub's RSS
// and managed heap after a full GC at start and end (flat within 10 %), and the live subscriber count at the end.
// The hub runs in this process on 127.0.0.1; the subscribers in a child process (this program, "client" mode), so
// their sockets never count against the hub.
//   dotnet run -c Release --project bench/soak [-- --subscribers 10000 --minutes 10 --publish-every-ms 2000]
// Not part of CI: it takes as long as it is asked to.
var options = SoakOptions.Parse(args);
return options.ClientHub is { } hub
    ? await SoakClient.RunAsync(hub, options.Subscribers)
    : await SoakHub.RunAsync(options);

internal sealed record SoakOptions(int Subscribers, TimeSpan Duration, TimeSpan PublishEvery, string? ClientHub)
{
    public static SoakOptions Parse(string[] args)
    {
        if (args is ["client", var hub, var n])
        {
            return new SoakOptions(int.Parse(n, CultureInfo.InvariantCulture), TimeSpan.Zero, TimeSpan.Zero, hub);
        }

        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var subscribers = int.Parse(Value("--subscribers") ?? "10000", CultureInfo.InvariantCulture);
        var minutes = double.Parse(Value("--minutes") ?? "10", CultureInfo.InvariantCulture);
        var every = int.Parse(Value("--publish-every-ms") ?? "2000", CultureInfo.InvariantCulture);
        if (subscribers is < 1 or > 20_000 || minutes is <= 0 or > 60 || every < 100)
        {
            Console.Error.WriteLine("--subscribers 1..20000, --minutes (0, 60], --publish-every-ms >= 100");
            Environment.Exit(2);
        }

        return new SoakOptions(subscribers, TimeSpan.FromMinutes(minutes), TimeSpan.FromMilliseconds(every), null);
    }
}

internal static class SoakHub
{
    public const string Topic = "https://example.com/soak";

    public static async Task<int> RunAsync(SoakOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxConcurrentConnections = null;
        });
        builder.Logging.ClearProviders();
        builder.Services.AddHerald(o =>
        {
            o.Anonymous = true;
            o.Heartbeat = TimeSpan.FromSeconds(5);
        });
        await using var app = builder.Build();
        app.MapHerald();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var publisher = app.Services.GetRequiredService<IHeraldPublisher>();
        var index = app.Services.GetRequiredService<SubscriberIndex>();

        using var child = Process.Start(ChildStartInfo(address + "/.well-known/mercure", options.Subscribers))!;
        try
        {
            Console.WriteLine($"opening {options.Subscribers} subscriptions: {await Expect(child, "ready")}");
            var start = Measure();
            Console.WriteLine($"start: {Describe(start)}, {index.Count} subscribers");

            var clock = Stopwatch.StartNew();
            var published = 0;
            using var timer = new PeriodicTimer(options.PublishEvery);
            var nextReport = TimeSpan.FromMinutes(1);
            (long RssKiB, long HeapBytes)? warm = null;
            while (clock.Elapsed < options.Duration && await timer.WaitForNextTickAsync())
            {
                await publisher.PublishAsync(new Update { Topics = [Topic], Data = published.ToString(CultureInfo.InvariantCulture) });
                published++;

                // The first writes to every stream grow Kestrel's buffer pool once (it keeps what it rented): flatness is
                // judged from here, after every stream has written heartbeats and updates, not from the idle start.
                if (warm is null && clock.Elapsed >= WarmUp(options))
                {
                    warm = Measure();
                    Console.WriteLine($"warm:  {Describe(warm.Value)} after {clock.Elapsed:mm\\:ss}");
                }

                if (clock.Elapsed >= nextReport)
                {
                    Console.WriteLine($"{clock.Elapsed:mm\\:ss} published {published}, {index.Count} subscribers, RSS {SoakMemory.ReadRssKiB(Environment.ProcessId) / 1024.0:F0} MiB");
                    nextReport += TimeSpan.FromMinutes(1);
                }
            }

            // Let the last update and a heartbeat round reach everyone before asking.
            await Task.Delay(TimeSpan.FromSeconds(6));
            var end = Measure();
            var live = index.Count;
            await child.StandardInput.WriteLineAsync($"report {published}");
            await child.StandardInput.FlushAsync();
            var result = await Expect(child, "result");

            Console.WriteLine($"end:   {Describe(end)}, {live} subscribers");
            Console.WriteLine($"duration {clock.Elapsed:mm\\:ss}, {published} updates published, heartbeat 5 s");
            Console.WriteLine($"clients: {result}");
            Console.WriteLine($"from the idle start: RSS {Percent(start.RssKiB, end.RssKiB)}, managed heap {Percent(start.HeapBytes, end.HeapBytes)}");
            var from = warm ?? start;
            Console.WriteLine($"from warm to end:    RSS {Percent(from.RssKiB, end.RssKiB)}, managed heap {Percent(from.HeapBytes, end.HeapBytes)} (flat means within 10 %)");
            return result.Contains("dropped 0,", StringComparison.Ordinal) && result.Contains(" wrong 0", StringComparison.Ordinal) && live == options.Subscribers ? 0 : 1;
        }
        finally
        {
            child.StandardInput.Close();
            if (!child.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                child.Kill();
            }

            await app.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>A tenth of the run, at least two heartbeats and at most two minutes.</summary>
    private static TimeSpan WarmUp(SoakOptions options) =>
        TimeSpan.FromTicks(Math.Clamp(options.Duration.Ticks / 10, TimeSpan.FromSeconds(10).Ticks, TimeSpan.FromMinutes(2).Ticks));

    private static string Percent(long before, long after) => $"{(after - before) * 100.0 / before:+0.0;-0.0} %";

    private static string Describe((long RssKiB, long HeapBytes) m) => $"RSS {m.RssKiB / 1024.0:F1} MiB, managed heap {m.HeapBytes / 1048576.0:F1} MiB";

    private static ProcessStartInfo ChildStartInfo(string hubUrl, int subscribers)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(SoakHub).Assembly.Location);
        }

        info.ArgumentList.Add("client");
        info.ArgumentList.Add(hubUrl);
        info.ArgumentList.Add(subscribers.ToString(CultureInfo.InvariantCulture));
        return info;
    }

    private static async Task<string> Expect(Process child, string word)
    {
        var line = await child.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException($"the client exited before \"{word}\"");
        return line.StartsWith(word, StringComparison.Ordinal) ? line[word.Length..].Trim() : throw new InvalidOperationException($"the client said \"{line}\", expected \"{word}\"");
    }

    private static (long RssKiB, long HeapBytes) Measure()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return (SoakMemory.ReadRssKiB(Environment.ProcessId), GC.GetTotalMemory(forceFullCollection: false));
    }
}

internal static class SoakMemory
{
    public static long ReadRssKiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no VmRSS in /proc status");
    }
}

/// <summary>The subscribers: each reads its stream and checks that updates 0, 1, 2… arrive once each, in order.</summary>
internal static class SoakClient
{
    public static async Task<int> RunAsync(string hubUrl, int subscribers)
    {
        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource();
        var states = Enumerable.Range(0, subscribers).Select(_ => new Follower()).ToArray();
        var started = Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(64);
        var opened = 0;
        var readers = states.Select(async state =>
        {
            await gate.WaitAsync();
            Stream stream;
            try
            {
                var response = await client.GetAsync($"{hubUrl}?topic={Uri.EscapeDataString(SoakHub.Topic)}", HttpCompletionOption.ResponseHeadersRead);
                response.EnsureSuccessStatusCode();
                stream = await response.Content.ReadAsStreamAsync();
                Interlocked.Increment(ref opened);
            }
            finally
            {
                gate.Release();
            }

            await state.ReadAsync(stream, stop.Token);
        }).ToArray();
        while (Volatile.Read(ref opened) < subscribers)
        {
            await Task.Delay(50);
        }

        Console.WriteLine($"ready in {started.Elapsed.TotalSeconds:F1} s");
        var report = await Console.In.ReadLineAsync();
        var published = report is not null && report.StartsWith("report ", StringComparison.Ordinal) ? int.Parse(report[7..], CultureInfo.InvariantCulture) : -1;
        var dropped = states.Count(s => s.Ended);
        var complete = states.Count(s => !s.Wrong && s.Next == published);
        var wrong = states.Count(s => s.Wrong);
        var heartbeats = states.Min(s => s.Comments);
        Console.WriteLine($"result dropped {dropped}, complete {complete} of {subscribers}, wrong {wrong}, fewest comments on a stream {heartbeats}");
        await stop.CancelAsync();
        return 0;
    }

    private sealed class Follower
    {
        public int Next;
        public bool Wrong;
        public bool Ended;
        public int Comments;

        public async Task ReadAsync(Stream stream, CancellationToken cancellationToken)
        {
            using var reader = new StreamReader(stream);
            try
            {
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (line.StartsWith(':'))
                    {
                        Comments++;
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        // Each update's data is its sequence number: anything but the next one is a gap or a duplicate.
                        if (int.Parse(line.AsSpan(6), CultureInfo.InvariantCulture) != Next)
                        {
                            Wrong = true;
                        }

                        Next++;
                    }
                }

                Ended = true;
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                Ended = true;
            }
        }
    }
}
