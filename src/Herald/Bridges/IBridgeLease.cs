namespace Herald.Bridges;

/// <summary>
/// Which node polls a bridged topic, so several nodes sharing a store poll each upstream once between them. A single
/// node always holds every lease (<see cref="LocalBridgeLease"/>); on Redis a lease is a key set with <c>NX PX</c>.
/// </summary>
internal interface IBridgeLease
{
    /// <summary>Takes or renews this node's lease on <paramref name="topic"/> for <paramref name="duration"/>; false while another node holds it.</summary>
    Task<bool> TryHoldAsync(string topic, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives the lease up when this node holds it (nobody here wants the topic any more), so another node can take it at once.</summary>
    Task ReleaseAsync(string topic, CancellationToken cancellationToken);
}

/// <summary>One node: it polls every bridge itself.</summary>
internal sealed class LocalBridgeLease : IBridgeLease
{
    public Task<bool> TryHoldAsync(string topic, TimeSpan duration, CancellationToken cancellationToken) => Task.FromResult(true);

    public Task ReleaseAsync(string topic, CancellationToken cancellationToken) => Task.CompletedTask;
}
