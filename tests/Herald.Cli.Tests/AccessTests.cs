using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;

namespace Herald.Cli.Tests;

/// <summary>The real <c>herald</c>: key flags, <c>herald token</c> with HMAC and PEM keys, limits, <c>--dev</c>.</summary>
public sealed class AccessTests : IAsyncLifetime
{
    private const string HubPath = "/.well-known/mercure";
    private const string Topic = "https://example.com/books/1";
    private const string LongKey = "a-64-byte-secret-key-long-enough-for-hs512-0123456789abcdefghijk";

    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _processes = [];
    private readonly HttpClient _client = new() { Timeout = HeraldProcess.WaitLimit };

    [Fact]
    public async Task Herald_token_with_alg_and_kid_round_trips_with_an_hmac_key_flag()
    {
        var baseAddress = await ServeAsync(["--jwt-key", "HS512/k1:" + LongKey]);
        var token = await TokenAsync("--key", LongKey, "--alg", "HS512", "--kid", "k1", "--publish", "*");

        using var response = await PublishAsync(baseAddress, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("ES256")]
    public async Task Herald_token_with_a_PEM_private_key_round_trips_with_the_public_key_flag(string alg)
    {
        using AsymmetricAlgorithm key = alg == "ES256" ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        _directory.Write("private.pem", key.ExportPkcs8PrivateKeyPem());
        _directory.Write("public.pem", key.ExportSubjectPublicKeyInfoPem());
        var baseAddress = await ServeAsync(["--publisher-key", $"{alg}:@public.pem", "--subscriber-key", HeraldProcess.Key]);
        var token = await TokenAsync("--key", "@private.pem", "--alg", alg, "--publish", Topic, "--payload", """{"user":42}""", "--ttl", "1h");

        using var response = await PublishAsync(baseAddress, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var payload = JsonDocument.Parse(Base64UrlDecode(token.Split('.')[1])).RootElement;
        Assert.Equal(42, payload.GetProperty("mercure").GetProperty("payload").GetProperty("user").GetInt32());
    }

    [Fact]
    public async Task Herald_token_prints_only_the_token()
    {
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(["token", "--key", HeraldProcess.Key, "--publish", "*"], _directory.Path);

        Assert.Equal(0, exitCode);
        Assert.Equal("", stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Equal(3, lines[0].Trim().Split('.').Length);
    }

    [Fact]
    public async Task Herald_token_without_a_grant_warns_that_it_only_receives_public_updates()
    {
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(["token", "--key", HeraldProcess.Key], _directory.Path);

        Assert.Equal(0, exitCode);
        Assert.Equal(3, stdout.Trim().Split('.').Length);
        Assert.StartsWith("herald: token: warning: no --publish or --subscribe", stderr);
    }

    [Theory]
    [InlineData("serve", "--publisher-key", "RS256:@missing.pem")]
    [InlineData("serve", "--cors-origins", "*", "--jwt-key", HeraldProcess.Key)]
    [InlineData("serve", "--trusted-proxies", "not-a-network")]
    [InlineData("token", "--key", HeraldProcess.Key, "--alg", "RS256")]
    [InlineData("token", "--key", HeraldProcess.Key, "--alg", "none")]
    public async Task Bad_access_settings_are_one_line_and_exit_code_2(params string[] args)
    {
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(args, _directory.Path);

        Assert.True(exitCode == 2, $"exit code {exitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(HeraldProcess.Key, stderr);
    }

    [Fact]
    public async Task Max_connections_and_require_exp_flags_apply()
    {
        var baseAddress = await ServeAsync(["--jwt-key", HeraldProcess.Key, "--max-connections", "1", "--require-exp"]);
        var forever = await TokenAsync("--key", HeraldProcess.Key, "--subscribe", "*");
        var expiring = await TokenAsync("--key", HeraldProcess.Key, "--subscribe", "*", "--ttl", "1h");

        using var noExp = await SubscribeAsync(baseAddress, forever);
        await using var open = await SseStream.OpenAsync(Client(baseAddress), HubPath, [Topic], expiring, null);
        using var overLimit = await SubscribeAsync(baseAddress, expiring);

        Assert.Equal(HttpStatusCode.Unauthorized, noExp.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, overLimit.StatusCode);
        Assert.True(overLimit.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task Dev_mode_prints_a_curl_publish_that_works_and_allows_localhost_pages()
    {
        var process = HeraldProcess.Start(["serve", "--dev", "--listen", "127.0.0.1:0"], _directory.Path);
        _processes.Add(process);
        var listening = await process.WaitForLineAsync(l => l.StartsWith("Herald listening on ", StringComparison.Ordinal));
        var baseAddress = new Uri(listening["Herald listening on ".Length..].Split(' ')[0]);
        var curl = await process.WaitForLineAsync(l => l.Contains("Authorization: Bearer", StringComparison.Ordinal));
        var token = curl.Split("Bearer ")[1].Split('\'')[0];
        await process.WaitForLineAsync(l => l.Contains("new EventSource", StringComparison.Ordinal));
        var key = process.Stdout.Split('\n').Single(l => l.StartsWith("KEY='", StringComparison.Ordinal))["KEY='".Length..].TrimEnd().TrimEnd('\'');
        var minted = await TokenAsync("--key", key, "--publish", "*");

        await using var anonymous = await SseStream.OpenAsync(Client(baseAddress), HubPath, [Topic], null, null);
        using var published = await PublishAsync(baseAddress, token);
        using var publishedWithKey = await PublishAsync(baseAddress, minted);
        var preflight = new HttpRequestMessage(HttpMethod.Options, new Uri(baseAddress, HubPath));
        preflight.Headers.Add("Origin", "http://localhost:5173");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        using var cors = await _client.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        Assert.Equal(HttpStatusCode.OK, publishedWithKey.StatusCode);
        Assert.Equal("hello", (await anonymous.NextAsync()).Data);
        Assert.Equal(HttpStatusCode.NoContent, cors.StatusCode);
        Assert.Equal("http://localhost:5173", cors.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(File.Exists(Path.Combine(_directory.Path, "herald-data", "herald.db")), "--dev keeps history in memory");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        _client.Dispose();
        _directory.Dispose();
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }

    private async Task<Uri> ServeAsync(string[] args)
    {
        var (process, baseAddress) = await HeraldProcess.ServeAsync(args, _directory.Path);
        _processes.Add(process);
        return baseAddress;
    }

    private async Task<string> TokenAsync(params string[] args)
    {
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(["token", .. args], _directory.Path);
        Assert.True(exitCode == 0, stderr);
        return stdout.Trim();
    }

    private static HttpClient Client(Uri baseAddress) => new() { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };

    private Task<HttpResponseMessage> SubscribeAsync(Uri baseAddress, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, HubPath + "?topic=" + Uri.EscapeDataString(Topic)));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private Task<HttpResponseMessage> PublishAsync(Uri baseAddress, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, HubPath))
        {
            Content = new StringContent($"topic={Uri.EscapeDataString(Topic)}&data=hello", Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return _client.SendAsync(request);
    }
}
