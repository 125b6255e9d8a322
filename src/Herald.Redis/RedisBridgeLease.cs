using Herald.Bridges;

namespace Herald.Redis;

/// <summary>
/// Bridge leases in the shared Redis: a key per bridged topic, set with <c>NX PX</c> by the node that polls it and
/// renewed by it at every request, so the nodes of a cluster poll each upstream once between them. A node gives its
/// lease up as soon as nobody there wants the topic; a node that dies loses it when it expires.
/// </summary>
internal sealed class RedisBridgeLease(RedisHistoryStore store) : IBridgeLease
{
    /// <summary>This process: a restarted node is another holder, so it never renews a lease it did not take.</summary>
    private readonly string _holder = Storage.StoreGeneration.New();

    public Task<bool> TryHoldAsync(string topic, TimeSpan duration, CancellationToken cancellationToken) =>
        store.TryHoldLeaseAsync("bridge-lease:" + topic, _holder, duration);

    public Task ReleaseAsync(string topic, CancellationToken cancellationToken) =>
        store.ReleaseLeaseAsync("bridge-lease:" + topic, _holder);
}
