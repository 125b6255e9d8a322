using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Herald.Auth;

/// <summary>
/// Tokens whose signature already verified, keyed by the SHA-256 of the token (the token itself is never kept), so a
/// reconnect storm re-verifies no signature. Bounded in count and age; each entry remembers the key that verified
/// it, so removing that key from the configuration revokes it.
/// </summary>
internal sealed class ValidatedTokenCache
{
    /// <summary>10,000 tokens: a storm of 10,000 reconnecting clients re-verifies nothing, in about 2 MB.</summary>
    public const int DefaultCapacity = 10_000;

    /// <summary>1 hour: a token without <c>exp</c> is still re-verified hourly, so no entry lives forever.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    /// <summary>Tokens up to this size are hashed from a stack buffer.</summary>
    private const int StackLimit = 2048;

    private readonly ConcurrentDictionary<Hash, Entry> _entries = new();
    private readonly int _capacity;

    public ValidatedTokenCache(int capacity = DefaultCapacity)
    {
        _capacity = capacity;
    }

    public int Count => _entries.Count;

    public static Hash HashOf(TokenRole role, string token)
    {
        var max = Encoding.UTF8.GetMaxByteCount(token.Length);
        byte[]? rented = null;
        var buffer = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(token, buffer);
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..length], digest);
            var words = MemoryMarshal.Cast<byte, ulong>(digest);
            return new Hash(role, words[0], words[1], words[2], words[3]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public bool TryGet(Hash hash, DateTimeOffset now, out HeraldClaims claims)
    {
        if (_entries.TryGetValue(hash, out var entry))
        {
            if (now < entry.EvictAfter)
            {
                claims = entry.Claims;
                return true;
            }

            _entries.TryRemove(hash, out _);
        }

        claims = null!;
        return false;
    }

    /// <summary>Keeps a validated token until its <c>exp</c> or <see cref="MaxAge"/>, whichever is first.</summary>
    public void Add(Hash hash, HeraldClaims claims, string keyFingerprint, DateTimeOffset now)
    {
        var evictAfter = now + MaxAge;
        if (claims.Expires is { } exp && exp < evictAfter)
        {
            evictAfter = exp;
        }

        if (_entries.Count >= _capacity)
        {
            MakeRoom(now);
        }

        _entries[hash] = new Entry(claims, keyFingerprint, evictAfter);
    }

    /// <summary>Drops every entry verified by a key that is no longer configured for its role.</summary>
    public int RemoveUnless(Func<TokenRole, string, bool> keyStillConfigured)
    {
        var removed = 0;
        foreach (var (hash, entry) in _entries)
        {
            if (!keyStillConfigured(hash.Role, entry.KeyFingerprint) && _entries.TryRemove(hash, out _))
            {
                removed++;
            }
        }

        return removed;
    }

    public void Clear() => _entries.Clear();

    /// <summary>Expired entries go first; if the cache is still full, a tenth goes, whichever they are: they just re-verify.</summary>
    private void MakeRoom(DateTimeOffset now)
    {
        foreach (var (hash, entry) in _entries)
        {
            if (now >= entry.EvictAfter)
            {
                _entries.TryRemove(hash, out _);
            }
        }

        var excess = _entries.Count - (_capacity - Math.Max(1, _capacity / 10));
        foreach (var hash in _entries.Keys)
        {
            if (excess-- <= 0)
            {
                break;
            }

            _entries.TryRemove(hash, out _);
        }
    }

    /// <summary>The role and SHA-256 of a token: equal tokens, equal hashes; the token cannot be recovered from it.</summary>
    internal readonly record struct Hash(TokenRole Role, ulong A, ulong B, ulong C, ulong D)
    {
        /// <summary>8 hex digits to correlate log lines about one token without logging it.</summary>
        public string Short => (A & 0xFFFFFFFF).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed record Entry(HeraldClaims Claims, string KeyFingerprint, DateTimeOffset EvictAfter);
}
