using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;

namespace Herald.Cli.Tests;

/// <summary><c>herald serve</c> over TLS with HTTP/1.1 and HTTP/2, certificate rotation, and cleartext HTTP/2 (h2c).</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private const string Topic = "https://example.com/books/1";

    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _processes = [];

    [Fact]
    public async Task A_stream_over_tls_and_http2_receives_updates_and_http1_still_works()
    {
        var hub = await ServeAsync("--tls-self-signed");
        Assert.Equal("https", hub.Scheme);
        using var h2 = Client(HttpVersion.Version20);
        using var h1 = Client(HttpVersion.Version11);

        (h2.BaseAddress, h1.BaseAddress) = (hub, hub);
        await using var stream = await SseStream.OpenAsync(h2, "/.well-known/mercure", [Topic], null, null);
        Assert.Equal(HttpVersion.Version20, stream.Response.Version);
        var id = await PublishAsync(h1, "over tls");

        var update = await stream.NextAsync();
        Assert.Equal(("over tls", id), (update.Data, update.EventId));
        using var health = await h1.GetAsync(new Uri(hub, "/healthz"));
        Assert.Equal(HttpVersion.Version11, health.Version);
    }

    [Fact]
    public async Task A_renewed_certificate_is_used_by_the_next_handshake_and_open_streams_keep_going()
    {
        var (cert, key) = (Path.Combine(_directory.Path, "cert.pem"), Path.Combine(_directory.Path, "key.pem"));
        WritePem(cert, key, "CN=first.localhost");
        var hub = await ServeAsync("--tls-cert", cert, "--tls-key", key);
        using var h2 = Client(HttpVersion.Version20);
        using var h1 = Client(HttpVersion.Version11);
        (h2.BaseAddress, h1.BaseAddress) = (hub, hub);
        await using var stream = await SseStream.OpenAsync(h2, "/.well-known/mercure", [Topic], null, null);
        Assert.Equal("CN=first.localhost", await SubjectAsync(hub));

        WritePem(cert, key, "CN=second.localhost");

        // The hub looks at the files on a handshake, at most once a second: handshake until it presents the new one.
        using var limit = new CancellationTokenSource(HeraldProcess.WaitLimit);
        while (await SubjectAsync(hub) != "CN=second.localhost")
        {
            await Task.Delay(200, limit.Token);
        }

        await _processes[^1].WaitForLineAsync(l => l.Contains("TLS certificate reloaded", StringComparison.Ordinal));
        var id = await PublishAsync(h1, "after the rotation");
        Assert.Equal(id, (await stream.NextAsync()).EventId);
    }

    [Fact]
    public async Task A_cleartext_http2_listener_serves_the_hub_to_a_proxy_that_speaks_h2c()
    {
        var port = FreePort();
        await ServeAsync("--h2c-listen", $"127.0.0.1:{port}");
        var h2c = new Uri($"http://127.0.0.1:{port}");
        using var client = new HttpClient(new ExactVersion(HttpVersion.Version20, new SocketsHttpHandler())) { BaseAddress = h2c, Timeout = Timeout.InfiniteTimeSpan };

        await using var stream = await SseStream.OpenAsync(client, "/.well-known/mercure", [Topic], null, null);
        var id = await PublishAsync(client, "over h2c");

        Assert.Equal(HttpVersion.Version20, stream.Response.Version);
        Assert.Equal(id, (await stream.NextAsync()).EventId);
    }

    [Theory]
    [InlineData("--tls-cert", "cert.pem")]
    [InlineData("--tls-key", "key.pem")]
    public async Task Half_of_a_certificate_is_a_usage_error(string flag, string file)
    {
        await File.WriteAllTextAsync(Path.Combine(_directory.Path, file), "-----BEGIN CERTIFICATE-----\n");

        var (exitCode, _, stderr) = await HeraldProcess.RunAsync(["serve", flag, file], _directory.Path);

        Assert.Equal(2, exitCode);
        Assert.Contains("--tls-cert and --tls-key go together", stderr, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        _directory.Dispose();
    }

    private async Task<Uri> ServeAsync(params string[] args)
    {
        var (process, hub) = await HeraldProcess.ServeAsync(["--anonymous", "--store", "memory", "--jwt-key", HeraldProcess.Key, .. args], _directory.Path);
        _processes.Add(process);
        return hub;
    }

    private static HttpClient Client(Version version) => new(new ExactVersion(version, new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
    }))
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The subject of the certificate a fresh handshake presents.</summary>
    private static async Task<string> SubjectAsync(Uri hub)
    {
        string? subject = null;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => { subject = certificate?.Subject; return true; } },
        });
        using var response = await client.GetAsync(new Uri(hub, "/healthz"));
        return subject!;
    }

    private static async Task<string> PublishAsync(HttpClient client, string data)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/.well-known/mercure")
        {
            Content = new StringContent($"topic={Uri.EscapeDataString(Topic)}&data={Uri.EscapeDataString(data)}", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Create(HeraldProcess.Key, publish: ["*"]));
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return body.Trim();
    }

    private static void WritePem(string certPath, string keyPath, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        // Key first, then certificate, as a renewal tool writes them; the hub keeps the old pair until both match.
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Sends every request in exactly this HTTP version (a request message is HTTP/1.1 unless told otherwise).</summary>
internal sealed class ExactVersion(Version version, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Version = version;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        return base.SendAsync(request, cancellationToken);
    }
}
