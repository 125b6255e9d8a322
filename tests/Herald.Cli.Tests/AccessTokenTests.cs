using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;

namespace Herald.Cli.Tests;

/// <summary>The real <c>herald</c> with Mercure 1.0 issuers: <c>serve --issuer … --resource …</c> and <c>token --v1</c>.</summary>
public sealed class AccessTokenTests : IAsyncLifetime
{
    private const string HubPath = "/.well-known/mercure";
    private const string Topic = "https://example.com/books/1";
    private const string Issuer = "https://auth.example.com";
    private const string Resource = "https://hub.example.com/.well-known/mercure";
    private const string IssuerKey = "cli-issuer-secret-key-that-is-long-enough-for-hs256";

    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _processes = [];
    private readonly HttpClient _client = new() { Timeout = HeraldProcess.WaitLimit };

    [Fact]
    public async Task A_v1_token_minted_by_herald_token_publishes_and_reads_private_updates_on_herald_serve()
    {
        var baseAddress = await ServeAsync(["--jwt-key", HeraldProcess.Key, "--issuer", Issuer, "--issuer-key", IssuerKey, "--resource", Resource]);
        var publisher = await TokenAsync("--v1", "--key", IssuerKey, "--issuer", Issuer, "--audience", Resource, "--publish", Topic);
        var subscriber = await TokenAsync("--v1", "--key", IssuerKey, "--issuer", Issuer, "--audience", Resource,
            "--subscribe-pattern", "https://example.com/books/:id", "--payload", """{"tenant":"t1"}""", "--sub", "user-1");

        await using var stream = await SseStream.OpenAsync(new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan }, HubPath, [Topic], subscriber, null);
        using var published = await PublishAsync(baseAddress, publisher, isPrivate: true);

        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        Assert.Equal("hello", (await stream.NextAsync()).Data);
        var header = JsonDocument.Parse(Base64UrlDecode(subscriber.Split('.')[0])).RootElement;
        Assert.Equal("at+jwt", header.GetProperty("typ").GetString());
        var claims = JsonDocument.Parse(Base64UrlDecode(subscriber.Split('.')[1])).RootElement;
        Assert.Equal(Issuer, claims.GetProperty("iss").GetString());
        Assert.Equal(Resource, claims.GetProperty("aud").GetString());
        Assert.True(claims.GetProperty("exp").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var detail = claims.GetProperty("authorization_details")[0];
        Assert.Equal("https://mercure.rocks/authorization-detail", detail.GetProperty("type").GetString());
        Assert.Equal("URLPattern", detail.GetProperty("topics")[0].GetProperty("match_type").GetString());
        Assert.Equal("t1", detail.GetProperty("payload").GetProperty("tenant").GetString());
    }

    [Fact]
    public async Task An_es256_v1_token_verifies_with_the_issuers_public_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _directory.Write("issuer.pem", key.ExportPkcs8PrivateKeyPem());
        _directory.Write("issuer.pub.pem", key.ExportSubjectPublicKeyInfoPem());
        var baseAddress = await ServeAsync(["--jwt-key", HeraldProcess.Key, "--issuer", Issuer, "--issuer-key", "ES256:@issuer.pub.pem", "--resource", Resource]);
        var token = await TokenAsync("--v1", "--key", "@issuer.pem", "--alg", "ES256", "--issuer", Issuer, "--audience", Resource, "--publish", "*", "--ttl", "5m");

        using var response = await PublishAsync(baseAddress, token, isPrivate: false);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_legacy_key_does_not_verify_a_v1_token_and_the_issuer_key_does_not_verify_a_legacy_one()
    {
        var baseAddress = await ServeAsync(["--jwt-key", HeraldProcess.Key, "--issuer", Issuer, "--issuer-key", IssuerKey, "--resource", Resource]);
        var v1WithLegacyKey = await TokenAsync("--v1", "--key", HeraldProcess.Key, "--issuer", Issuer, "--audience", Resource, "--publish", "*");
        var legacyWithIssuerKey = await TokenAsync("--key", IssuerKey, "--publish", "*");

        using var v1 = await PublishAsync(baseAddress, v1WithLegacyKey, isPrivate: false);
        using var legacy = await PublishAsync(baseAddress, legacyWithIssuerKey, isPrivate: false);

        Assert.Equal(HttpStatusCode.Unauthorized, v1.StatusCode);
        Assert.Contains("error=\"invalid_token\"", v1.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, legacy.StatusCode);
    }

    [Fact]
    public async Task Issuers_and_resource_come_from_herald_json_and_the_environment()
    {
        _directory.Write("herald.json", $$"""
            { "Herald": { "Resource": "{{Resource}}", "Issuers": [ { "Id": "{{Issuer}}", "PublisherKeys": [ { "Key": "{{IssuerKey}}" } ] } ] } }
            """);
        const string otherIssuer = "https://env-issuer.example.com";
        const string otherKey = "env-issuer-secret-key-that-is-long-enough-for-hs256";
        var (process, baseAddress) = await HeraldProcess.ServeAsync(["--jwt-key", HeraldProcess.Key], _directory.Path, new Dictionary<string, string>
        {
            ["HERALD_ISSUERS__1__ID"] = otherIssuer,
            ["HERALD_ISSUERS__1__PUBLISHERKEYS__0__KEY"] = otherKey,
        });
        _processes.Add(process);
        var fromFile = await TokenAsync("--v1", "--key", IssuerKey, "--issuer", Issuer, "--audience", Resource, "--publish", "*");
        var fromEnvironment = await TokenAsync("--v1", "--key", otherKey, "--issuer", otherIssuer, "--audience", Resource, "--publish", "*");

        using var file = await PublishAsync(baseAddress, fromFile, isPrivate: false);
        using var environment = await PublishAsync(baseAddress, fromEnvironment, isPrivate: false);
        using var metadata = await _client.GetAsync(new Uri(baseAddress, "/.well-known/oauth-protected-resource/.well-known/mercure"));

        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal(HttpStatusCode.OK, environment.StatusCode);
        var document = JsonDocument.Parse(await metadata.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(Resource, document.GetProperty("resource").GetString());
        Assert.Equal([Issuer, otherIssuer], document.GetProperty("authorization_servers").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("token", "--v1", "--key", IssuerKey, "--audience", Resource, "--publish", "*")]
    [InlineData("token", "--v1", "--key", IssuerKey, "--issuer", Issuer, "--publish", "*")]
    [InlineData("token", "--v1", "--key", IssuerKey, "--issuer", Issuer, "--audience", Resource, "--payload", "[1]")]
    [InlineData("token", "--key", IssuerKey, "--publish-pattern", "/books/:id")]
    [InlineData("serve", "--issuer", Issuer, "--issuer-key", IssuerKey)]
    [InlineData("serve", "--issuer-key", IssuerKey, "--resource", Resource)]
    public async Task Bad_v1_settings_are_one_line_and_exit_code_2(params string[] args)
    {
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(args, _directory.Path);

        Assert.True(exitCode == 2, $"exit code {exitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(IssuerKey, stderr);
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

    private Task<HttpResponseMessage> PublishAsync(Uri baseAddress, string token, bool isPrivate)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, HubPath))
        {
            Content = new StringContent($"topic={Uri.EscapeDataString(Topic)}&data=hello{(isPrivate ? "&private=on" : "")}", Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return _client.SendAsync(request);
    }
}
