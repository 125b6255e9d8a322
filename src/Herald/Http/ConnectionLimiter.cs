using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// Admission of subscriber streams: at most <see cref="HeraldOptions.MaxConnections"/> in total and
/// <see cref="HeraldOptions.MaxConnectionsPerIp"/> per client address. Over a limit a newcomer is refused; an open
/// stream is never evicted to make room.
/// </summary>
internal sealed class ConnectionLimiter
{
    /// <summary>Refused clients retry after 1–10 s, spread at random so a storm does not come back as one wave.</summary>
    public static readonly TimeSpan RetryAfterMin = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan RetryAfterMax = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();
    private readonly int _maxTotal;
    private readonly int _maxPerAddress;
    private int _total;

    public ConnectionLimiter(IOptions<HeraldOptions> options)
    {
        _maxTotal = options.Value.MaxConnections;
        _maxPerAddress = options.Value.MaxConnectionsPerIp;
    }

    public int Open => Volatile.Read(ref _total);

    /// <summary>Admits the stream (dispose the lease when it ends) or says which limit is reached.</summary>
    public (Lease? Lease, LimitRefusal? Refusal) TryAdmit(IPAddress address)
    {
        if (Interlocked.Increment(ref _total) > _maxTotal && _maxTotal > 0)
        {
            Interlocked.Decrement(ref _total);
            return (null, new(LimitRefusal.Connections, $"the hub is at its limit of {_maxTotal} subscriber connections; retry later"));
        }

        if (_maxPerAddress > 0)
        {
            var count = _perAddress.AddOrUpdate(address, 1, static (_, n) => n + 1);
            if (count > _maxPerAddress)
            {
                Release(address);
                Interlocked.Decrement(ref _total);
                return (null, new(LimitRefusal.ConnectionsPerIp, $"your address has {_maxPerAddress} subscriber connections open, the hub's limit per address; close one or retry later"));
            }
        }

        return (new Lease(this, address), null);
    }

    /// <summary>A <c>Retry-After</c> in whole seconds, drawn uniformly from [<see cref="RetryAfterMin"/>, <see cref="RetryAfterMax"/>].</summary>
    public static string JitteredRetryAfter() =>
        Random.Shared.Next((int)RetryAfterMin.TotalSeconds, (int)RetryAfterMax.TotalSeconds + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void Release(IPAddress address)
    {
        // Decrement, and drop the entry at zero so the table holds only addresses with open streams.
        while (true)
        {
            var current = _perAddress.GetValueOrDefault(address);
            if (current <= 1)
            {
                if (_perAddress.TryRemove(new KeyValuePair<IPAddress, int>(address, current)) || current == 0)
                {
                    return;
                }
            }
            else if (_perAddress.TryUpdate(address, current - 1, current))
            {
                return;
            }
        }
    }

    /// <summary>One admitted stream; disposing it frees its place exactly once.</summary>
    internal sealed class Lease(ConnectionLimiter limiter, IPAddress address) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                if (limiter._maxPerAddress > 0)
                {
                    limiter.Release(address);
                }

                Interlocked.Decrement(ref limiter._total);
            }
        }
    }
}
