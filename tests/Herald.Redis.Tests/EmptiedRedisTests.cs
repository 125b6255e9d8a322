using System.Collections.Concurrent;
using System.Net;
using Herald.Cli.Tests.Infrastructure;
using Herald.Redis.Tests.Infrastructure;
using Herald.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Herald.Redis.Tests;

/// <summary>
/// A Redis that loses its data (FLUSHALL, a restart without persistence) starts positions over from 1. Two real
/// nodes keep delivering live: everything acknowledged after the loss reaches subscribers on both.
/// </summary>
public sealed class EmptiedRedisTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Acknowledged updates to wait for in each phase: enough to overlap the positions already dispatched.</summary>
    private const int PerPhase = 10;

    private readonly string _subscriberToken = Tokens.Create(HeraldProcess.Key, subscribe: ["*"]);
    private Cluster _cluster = null!;

    [Fact]
    public async Task After_flushall_and_an_empty_restart_every_update_acknowledged_afterwards_reaches_live_subscribers_on_both_nodes()
    {
        var (nodeA, a) = await _cluster.StartNodeAsync();
        var (nodeB, b) = await _cluster.StartNodeAsync();
        var streams = new[] { await SseStream.OpenAsync(a, Cluster.HubPath, ["t"], _subscriberToken, null), await SseStream.OpenAsync(b, Cluster.HubPath, ["t"], _subscriberToken, null) };
        var received = streams.Select(_ => new List<string>()).ToArray();

        // Each acknowledged id with the phase in which its publish began: 0 before FLUSHALL, 1 after it, 2 after the restart.
        var acknowledged = new ConcurrentQueue<(string Id, int Phase)>();
        var phase = 0;
        using var stop = new CancellationTokenSource();
        var publisher = Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var started = Volatile.Read(ref phase);
                if (await _cluster.PublishStatusAsync(n % 2 == 0 ? a : b, $"u{n}", $"{n}") == HttpStatusCode.OK)
                {
                    acknowledged.Enqueue(($"u{n}", started));
                }
            }
        });

        // Enough history that the nodes' feeds stand well past the positions the emptied Redis will hand out again.
        await WaitUntilAsync(() => acknowledged.Count >= 3 * PerPhase);

        // A stream that resumed replays up to the old head: its replayed positions must not hide the new history's.
        streams = [.. streams, await SseStream.OpenAsync(a, Cluster.HubPath, ["t"], _subscriberToken, "earliest")];
        received = [.. received, []];
        await ReadUntilAsync(streams, received, acknowledged.First(e => e.Phase == 0).Id);

        await _cluster.Redis.FlushAllAsync();
        Volatile.Write(ref phase, 1);
        await WaitUntilAsync(() => acknowledged.Count(e => e.Phase == 1) >= PerPhase);
        var afterFlush = acknowledged.Where(e => e.Phase == 1).Take(PerPhase).Select(e => e.Id).ToList();
        await ReadUntilAsync(streams, received, afterFlush[^1]);

        await _cluster.Redis.KillAsync();
        await _cluster.Redis.RestartAsync();
        Volatile.Write(ref phase, 2);
        await WaitUntilAsync(() => acknowledged.Count(e => e.Phase == 2) >= PerPhase);
        await stop.CancelAsync();
        await publisher.WaitAsync(HeraldProcess.WaitLimit);
        var afterRestart = acknowledged.Where(e => e.Phase == 2).Select(e => e.Id).ToList();
        await ReadUntilAsync(streams, received, afterRestart[^1]);

        for (var i = 0; i < streams.Length; i++)
        {
            output.WriteLine($"stream {i}: {received[i].Count} received; after FLUSHALL {afterFlush.Count(received[i].Contains)}/{afterFlush.Count}, after the restart {afterRestart.Count(received[i].Contains)}/{afterRestart.Count}");
            Assert.Equal(afterFlush, received[i].Where(afterFlush.Contains));
            Assert.Equal(afterRestart, received[i].Where(afterRestart.Contains));
            Assert.Equal(received[i].Count, received[i].Distinct().Count());
        }

        // Each node said so, loudly, once per loss.
        foreach (var node in new[] { nodeA, nodeB })
        {
            for (var loss = 0; loss < 2; loss++)
            {
                await node.WaitForLineAsync(l => l.StartsWith("warn: Herald.Redis.RedisHistoryStore[" + HistoryReplacedEventId + "]", StringComparison.Ordinal));
            }
        }

        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>The EventId of the store's "the history in Redis was replaced" warning.</summary>
    private const int HistoryReplacedEventId = 212;

    public async Task InitializeAsync() => _cluster = await Cluster.StartAsync(persistent: false);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    /// <summary>
    /// Reads every stream until it delivered <paramref name="id"/>; a stream that does not within the wait limit fails
    /// the test, also while other updates keep arriving (those after the skipped positions would, without the fix).
    /// </summary>
    private static async Task ReadUntilAsync(SseStream[] streams, List<string>[] received, string id)
    {
        var deadline = DateTime.UtcNow + SseStream.WaitLimit;
        for (var i = 0; i < streams.Length; i++)
        {
            while (!received[i].Contains(id))
            {
                Assert.True(DateTime.UtcNow < deadline, $"node {i} did not deliver {id} within {SseStream.WaitLimit}; the last it delivered: {string.Join(' ', received[i].TakeLast(20))}");
                received[i].Add((await streams[i].NextAsync()).EventId!);
            }
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(HeraldProcess.WaitLimit);
        while (!condition())
        {
            await Task.Delay(20, limit.Token);
        }
    }
}
