using System.Net;
using Herald.Protocol;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// The limits that need to know who holds what: distinct URI templates per client address
/// (<see cref="HeraldOptions.MaxTemplatesPerIp"/>) and hub-wide (<see cref="HeraldOptions.MaxTemplates"/>), and open
/// streams and polls per token subject
/// (<see cref="HeraldOptions.MaxConnectionsPerSubject"/>). Counted at admission only, never on the dispatch path.
/// </summary>
internal sealed class SubscriptionQuotas(IOptions<HeraldOptions> options)
{
    private readonly int _maxTemplatesPerIp = options.Value.MaxTemplatesPerIp;
    private readonly int _maxTemplates = options.Value.MaxTemplates;
    private readonly Dictionary<string, int> _templates = new(StringComparer.Ordinal);
    private readonly int _maxPerSubject = options.Value.MaxConnectionsPerSubject;
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, Dictionary<string, int>> _templatesByAddress = [];
    private readonly Dictionary<string, int> _bySubject = new(StringComparer.Ordinal);

    /// <summary>Holds the subscription's templates against its address's quota; a hold to release, or the refusal.</summary>
    public (IDisposable? Hold, LimitRefusal? Refusal) HoldTemplates(IPAddress address, IReadOnlyList<TopicSelector> selectors)
    {
        // Most subscriptions name exact topics only: nothing to count, and nothing allocated to find that out.
        if (!selectors.Any(static s => s.IsTemplate))
        {
            return (null, null);
        }

        var patterns = selectors.Where(static s => s.IsTemplate).Select(static s => s.IndexKey).Distinct(StringComparer.Ordinal).ToArray();

        lock (_lock)
        {
            var held = _templatesByAddress.GetValueOrDefault(address);
            var added = patterns.Count(p => held is null || !held.ContainsKey(p));
            if (_maxTemplatesPerIp > 0 && (held?.Count ?? 0) + added > _maxTemplatesPerIp)
            {
                return (null, new(LimitRefusal.TemplatesPerIp, $"your address holds {held?.Count ?? 0} distinct URI templates and this subscription adds {added}: the hub's limit per address is {_maxTemplatesPerIp} (MaxTemplatesPerIp); reuse templates or close subscriptions"));
            }

            var fresh = patterns.Count(p => !_templates.ContainsKey(p));
            if (_maxTemplates > 0 && _templates.Count + fresh > _maxTemplates)
            {
                return (null, new(LimitRefusal.Templates, $"the hub holds {_templates.Count} distinct URI templates, its limit (MaxTemplates); retry later"));
            }

            if (held is null)
            {
                _templatesByAddress[address] = held = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            foreach (var pattern in patterns)
            {
                held[pattern] = held.GetValueOrDefault(pattern) + 1;
                _templates[pattern] = _templates.GetValueOrDefault(pattern) + 1;
            }
        }

        return (new Hold(() => ReleaseTemplates(address, patterns)), null);
    }

    /// <summary>Counts the connection against its token subject; a hold to release, or the refusal.</summary>
    public (IDisposable? Hold, LimitRefusal? Refusal) HoldSubject(string? subject)
    {
        if (subject is null || _maxPerSubject == 0)
        {
            return (null, null);
        }

        lock (_lock)
        {
            var count = _bySubject.GetValueOrDefault(subject);
            if (count >= _maxPerSubject)
            {
                return (null, new(LimitRefusal.ConnectionsPerSubject, $"this token's subject has {count} streams and polls open, the hub's limit per subject (MaxConnectionsPerSubject); close one or retry later"));
            }

            _bySubject[subject] = count + 1;
        }

        return (new Hold(() => ReleaseSubject(subject)), null);
    }

    private void ReleaseTemplates(IPAddress address, string[] patterns)
    {
        lock (_lock)
        {
            if (!_templatesByAddress.TryGetValue(address, out var held))
            {
                return;
            }

            foreach (var pattern in patterns)
            {
                Decrement(held, pattern);
                Decrement(_templates, pattern);
            }

            if (held.Count == 0)
            {
                _templatesByAddress.Remove(address);
            }
        }
    }

    private void ReleaseSubject(string subject)
    {
        lock (_lock)
        {
            Decrement(_bySubject, subject);
        }
    }

    /// <summary>Counts one holder less, dropping the key at zero so the tables hold only what is in use.</summary>
    private static void Decrement(Dictionary<string, int> counts, string key)
    {
        var count = counts.GetValueOrDefault(key);
        if (count <= 1)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key] = count - 1;
        }
    }

    /// <summary>Releases once, however often it is disposed.</summary>
    private sealed class Hold(Action release) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                release();
            }
        }
    }
}
