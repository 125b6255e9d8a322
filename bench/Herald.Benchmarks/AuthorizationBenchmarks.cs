using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Herald.Auth;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Benchmarks;

/// <summary>
/// Authorizing a subscriber: a token already in the validated-token cache (a reconnect) against a cold RS256
/// verification (a first connection, or a cache miss). Both go through <see cref="Authorizer.AuthenticateSubscriberAsync"/>.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class AuthorizationBenchmarks
{
    private Authorizer _authorizer = null!;
    private HttpRequest _cached = null!;
    private RSA _rsa = null!;
    private string _payloadPrefix = "";
    private int _counter;

    [GlobalSetup]
    public void Setup()
    {
        _rsa = RSA.Create(2048);
        var options = new HeraldOptions { SubscriberKeys = [new HeraldKey { Algorithm = "RS256", Key = _rsa.ExportSubjectPublicKeyInfoPem() }] };
        _authorizer = new Authorizer(new StaticOptionsMonitor<HeraldOptions>(options), new TopicSelectorStore(), TimeProvider.System, new HeraldMetrics(new NoMeterFactory()), NullLogger<Authorizer>.Instance);
        _payloadPrefix = """{"mercure":{"subscribe":["https://example.com/users/42/{+rest}"]},"exp":""" + DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds() + ",\"jti\":\"";
        _cached = Request(Sign(_payloadPrefix + "cached\"}"));
        _authorizer.AuthenticateSubscriberAsync(_cached).AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public async Task<bool> CachedToken() => (await _authorizer.AuthenticateSubscriberAsync(_cached)).Claims is not null;

    /// <summary>A token never seen before: one RS256 signature verification (signing happens in the iteration setup).</summary>
    [Benchmark]
    [InvocationCount(4096)]
    public async Task<bool> ColdRs256() => (await _authorizer.AuthenticateSubscriberAsync(_cold[_next++ % _cold.Length])).Claims is not null;

    private HttpRequest[] _cold = [];
    private int _next;

    [IterationSetup(Target = nameof(ColdRs256))]
    public void FreshTokens()
    {
        // New jti each time: never in the cache, so every call verifies a signature.
        _cold = Enumerable.Range(0, 4096).Select(_ => Request(Sign(_payloadPrefix + "cold-" + Interlocked.Increment(ref _counter) + "\"}"))).ToArray();
        _next = 0;
    }

    private string Sign(string payload)
    {
        var input = B64("""{"alg":"RS256","typ":"JWT"}"""u8.ToArray()) + "." + B64(Encoding.UTF8.GetBytes(payload));
        return input + "." + B64(_rsa.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    private static HttpRequest Request(string token)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + token;
        return context.Request;
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
