using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Herald.Cli.Configuration;
using Microsoft.Extensions.Logging;

namespace Herald.Cli.Hosting;

/// <summary>
/// The certificate the TLS listeners present, read from PEM files and read again when they change, so a renewed
/// certificate (certbot, cert-manager) is used by the next handshake while open streams keep theirs. A file that does
/// not load (half-written during a rotation) keeps the previous certificate and is logged.
/// </summary>
internal sealed partial class CertificateSource
{
    /// <summary>1 s: files are looked at again at most this often, on a handshake; rotations are rare, handshakes are not.</summary>
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly TlsFiles _files;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private X509Certificate2 _current;
    private (DateTime Cert, DateTime Key) _stamp;
    private long _checkedAt;

    public CertificateSource(TlsFiles files, TimeProvider time, ILogger logger)
    {
        _files = files;
        _time = time;
        _logger = logger;
        if (files.SelfSigned)
        {
            _current = SelfSignedForLocalhost();
            return;
        }

        _stamp = Stamp();
        _current = Load() ?? throw new UsageException($"--tls-cert/--tls-key: cannot load a certificate and key from {files.CertPath} and {files.KeyPath}");
        _checkedAt = time.GetTimestamp();
    }

    /// <summary>The certificate for the next handshake.</summary>
    public X509Certificate2 Current
    {
        get
        {
            if (_files.SelfSigned || _time.GetElapsedTime(Volatile.Read(ref _checkedAt)) < CheckInterval)
            {
                return Volatile.Read(ref _current);
            }

            lock (_lock)
            {
                _checkedAt = _time.GetTimestamp();
                var stamp = Stamp();
                if (stamp != _stamp && Load() is { } reloaded)
                {
                    _stamp = stamp;
                    Volatile.Write(ref _current, reloaded);
                    LogReloaded(_logger, _files.CertPath!, reloaded.Subject, reloaded.NotAfter);
                }

                return _current;
            }
        }
    }

    private (DateTime, DateTime) Stamp() => (File.GetLastWriteTimeUtc(_files.CertPath!), File.GetLastWriteTimeUtc(_files.KeyPath!));

    private X509Certificate2? Load()
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(_files.CertPath!, _files.KeyPath);

            // Re-imported so the private key is usable by SslStream on every platform (an ephemeral PEM key is not on all).
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            LogLoadFailed(_logger, _files.CertPath!, e);
            return null;
        }
    }

    private static X509Certificate2 SelfSignedForLocalhost()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var made = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "TLS certificate reloaded from {Path}: {Subject}, valid until {NotAfter:u}")]
    private static partial void LogReloaded(ILogger logger, string path, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "TLS certificate {Path} could not be loaded; keeping the previous one")]
    private static partial void LogLoadFailed(ILogger logger, string path, Exception exception);
}
