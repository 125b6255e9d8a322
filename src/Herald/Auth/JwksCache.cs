using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Auth;

/// <summary>
/// One issuer's JWK Set (RFC 7517), fetched on first use and cached. A token naming a <c>kid</c> the set lacks triggers
/// one refresh (the issuer rotated its keys), at most every <see cref="MinRefreshInterval"/>; concurrent requests share
/// it and wait at most <see cref="FetchTimeout"/>. A set older than <see cref="MaxAge"/> is refreshed in the
/// background while it keeps serving. When the server is down the last good set stays in use; with none, tokens of
/// this issuer are answered 503 (the hub's problem, not the token's).
/// </summary>
internal sealed partial class JwksCache
{
    /// <summary>30 s between refreshes asked for by unknown <c>kid</c>s: a flood of forged kids costs the issuer two requests a minute.</summary>
    public static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(30);

    /// <summary>5 s before retrying a fetch that failed (the server was down).</summary>
    public static readonly TimeSpan FailedRetryInterval = TimeSpan.FromSeconds(5);

    /// <summary>5 minutes: a removed key stops verifying within this even if no token asks for a new one.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    /// <summary>5 s: the longest a request waits for the key set.</summary>
    public static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(5);

    /// <summary>1 MiB: a key set is a few kilobytes; more is not a key set.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>100 keys: issuers publish two or three (current and next).</summary>
    public const int MaxKeys = 100;

    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private volatile Snapshot? _snapshot;
    private Task? _refresh;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;
    private bool _lastFailed;

    public JwksCache(string issuerId, string uri, HttpClient http, TimeProvider time, ILogger logger)
    {
        IssuerId = issuerId;
        Uri = uri;
        _http = http;
        _time = time;
        _logger = logger;
    }

    public string IssuerId { get; }

    public string Uri { get; }

    /// <summary>Raised with the fingerprints of keys a refresh dropped, so tokens they verified stop being served from cache.</summary>
    public event Action<IReadOnlySet<string>>? KeysRemoved;

    /// <summary>Fetches the set made so far; for tests and the stats of a fresh hub.</summary>
    internal int Fetches { get; private set; }

    public bool Contains(string fingerprint) => _snapshot?.Fingerprints.Contains(fingerprint) == true;

    /// <summary>The keys to try for a token naming <paramref name="kid"/>; null with a reason when no set could be fetched.</summary>
    public async ValueTask<(IReadOnlyList<VerificationKey>? Keys, string? Error)> GetAsync(string? kid)
    {
        var snapshot = _snapshot;
        var now = _time.GetUtcNow();
        var wanted = snapshot is null || (!string.IsNullOrEmpty(kid) && !snapshot.Keys.Any(k => k.KeyId == kid));
        if (wanted)
        {
            var refresh = StartRefresh(now, force: false);
            if (refresh is not null)
            {
                try
                {
                    await refresh.WaitAsync(FetchTimeout).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Bounded wait: answer with what we have; the fetch goes on for the next request.
                }
            }

            snapshot = _snapshot;
        }
        else if (now - snapshot!.FetchedAt >= MaxAge)
        {
            _ = StartRefresh(now, force: true);
        }

        return snapshot is null
            ? (null, $"the key set of issuer \"{Protocol.ReasonText.Quote(IssuerId)}\" could not be fetched; retry shortly")
            : (snapshot.Keys, null);
    }

    /// <summary>The running refresh, a new one if the rate limit allows, or null (none allowed now).</summary>
    private Task? StartRefresh(DateTimeOffset now, bool force)
    {
        lock (_lock)
        {
            if (_refresh is { IsCompleted: false })
            {
                return _refresh;
            }

            var interval = _lastFailed || _snapshot is null ? FailedRetryInterval : MinRefreshInterval;
            if (!force && now - _lastAttempt < interval)
            {
                return null;
            }

            _lastAttempt = now;
            _refresh = Task.Run(FetchAsync);
            return _refresh;
        }
    }

    private async Task FetchAsync()
    {
        Fetches++;
        try
        {
            using var timeout = new CancellationTokenSource(FetchTimeout);
            using var response = await _http.GetAsync(Uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Failed($"HTTP {(int)response.StatusCode}");
                return;
            }

            if (response.Content.Headers.ContentLength > MaxBytes)
            {
                Failed($"larger than {MaxBytes} bytes");
                return;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, timeout.Token).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                {
                    Failed($"larger than {MaxBytes} bytes");
                    return;
                }

                buffer.Write(chunk, 0, read);
            }

            var (keys, skipped, error) = Parse(IssuerId, buffer.ToArray());
            if (keys is null)
            {
                Failed(error!);
                return;
            }

            var previous = _snapshot;
            var next = new Snapshot(keys, _time.GetUtcNow());
            _snapshot = next;
            lock (_lock)
            {
                _lastFailed = false;
            }

            LogFetched(_logger, IssuerId, keys.Count, skipped);
            if (previous is not null)
            {
                var removed = previous.Fingerprints.Where(f => !next.Fingerprints.Contains(f)).ToHashSet(StringComparer.Ordinal);
                if (removed.Count > 0)
                {
                    KeysRemoved?.Invoke(removed);
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            Failed(e is OperationCanceledException ? $"no answer within {FetchTimeout.TotalSeconds:0} s" : FirstLine(e.Message));
        }
    }

    private void Failed(string reason)
    {
        lock (_lock)
        {
            _lastFailed = true;
        }

        LogFetchFailed(_logger, IssuerId, Uri, reason);
    }

    /// <summary>
    /// The signing keys of a JWK Set: RSA (2048 bits or more) and EC P-256/384/521 keys whose <c>use</c>, if any, is
    /// <c>sig</c>. Symmetric (<c>oct</c>) keys are never taken from a URL, and OKP (EdDSA) keys are not supported: both
    /// are skipped, as are keys whose <c>alg</c> does not fit their type.
    /// </summary>
    internal static (List<VerificationKey>? Keys, int Skipped, string? Error) Parse(string issuerId, byte[] json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return (null, 0, "not valid JSON");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("keys", out var array) || array.ValueKind != JsonValueKind.Array)
            {
                return (null, 0, "not a JWK Set (an object with a \"keys\" array)");
            }

            var keys = new List<VerificationKey>();
            var skipped = 0;
            foreach (var jwk in array.EnumerateArray())
            {
                if (keys.Count == MaxKeys)
                {
                    skipped++;
                    continue;
                }

                if (Load(issuerId, jwk, keys.Count + 1) is { } key)
                {
                    keys.Add(key);
                }
                else
                {
                    skipped++;
                }
            }

            return (keys, skipped, null);
        }
    }

    private static VerificationKey? Load(string issuerId, JsonElement jwk, int index)
    {
        if (jwk.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var kty = String(jwk, "kty");
        var use = String(jwk, "use");
        var alg = String(jwk, "alg");
        var kid = String(jwk, "kid");
        if (use is not null and not "sig")
        {
            return null;
        }

        try
        {
            switch (kty)
            {
                case "RSA":
                {
                    if (String(jwk, "n") is not { } n || String(jwk, "e") is not { } e)
                    {
                        return null;
                    }

                    var parameters = new RSAParameters { Modulus = Base64UrlEncoder.DecodeBytes(n), Exponent = Base64UrlEncoder.DecodeBytes(e) };
                    using var rsa = RSA.Create(parameters);
                    string[] algorithms = alg is null ? ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] : [alg];
                    if (rsa.KeySize < KeyRing.MinimumRsaBits || algorithms.Any(a => !JwtAlgorithm.IsKnown(a) || JwtAlgorithm.FamilyOf(a) != KeyFamily.Rsa))
                    {
                        return null;
                    }

                    return new VerificationKey(Label(issuerId, index, kid), "jwks:" + KeyRing.FingerprintOf(KeyFamily.Rsa, rsa.ExportSubjectPublicKeyInfo()),
                        kid, KeyFamily.Rsa, algorithms, new RsaSecurityKey(parameters));
                }

                case "EC":
                {
                    var (curve, algorithm) = String(jwk, "crv") switch
                    {
                        "P-256" => (ECCurve.NamedCurves.nistP256, "ES256"),
                        "P-384" => (ECCurve.NamedCurves.nistP384, "ES384"),
                        "P-521" => (ECCurve.NamedCurves.nistP521, "ES512"),
                        _ => (default(ECCurve), ""),
                    };
                    if (algorithm.Length == 0 || (alg is not null && alg != algorithm) || String(jwk, "x") is not { } x || String(jwk, "y") is not { } y)
                    {
                        return null;
                    }

                    var ecdsa = ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(x), Y = Base64UrlEncoder.DecodeBytes(y) } });
                    return new VerificationKey(Label(issuerId, index, kid), "jwks:" + KeyRing.FingerprintOf(KeyFamily.Ecdsa, ecdsa.ExportSubjectPublicKeyInfo()),
                        kid, KeyFamily.Ecdsa, [algorithm], new ECDsaSecurityKey(ecdsa));
                }

                default:
                    return null;
            }
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static string Label(string issuerId, int index, string? kid) =>
        $"issuer {Protocol.ReasonText.Quote(issuerId, 60)} JWKS key {index}" + (kid is null ? "" : $" (kid {Protocol.ReasonText.Quote(kid, 40)})");

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched the key set of issuer {Issuer}: {Keys} keys ({Skipped} skipped: not signing keys Herald verifies)")]
    private static partial void LogFetched(ILogger logger, string issuer, int keys, int skipped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not fetch the key set of issuer {Issuer} from {Uri}: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, string issuer, string uri, string reason);

    private sealed class Snapshot(List<VerificationKey> keys, DateTimeOffset fetchedAt)
    {
        public IReadOnlyList<VerificationKey> Keys { get; } = keys;

        public DateTimeOffset FetchedAt { get; } = fetchedAt;

        public HashSet<string> Fingerprints { get; } = keys.Select(k => k.Fingerprint).ToHashSet(StringComparer.Ordinal);
    }
}
