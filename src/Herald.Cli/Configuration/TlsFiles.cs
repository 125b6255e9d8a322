namespace Herald.Cli.Configuration;

/// <summary>Where the TLS certificate comes from: a PEM certificate and key, or one made at start for localhost.</summary>
internal sealed record TlsFiles(string? CertPath, string? KeyPath, bool SelfSigned)
{
    /// <summary>Null when TLS is off; a usage error when only half of it is given or a file is missing.</summary>
    public static TlsFiles? From(string? cert, string? key, bool selfSigned, string directory)
    {
        if (selfSigned)
        {
            return cert is null && key is null
                ? new TlsFiles(null, null, true)
                : throw new UsageException("--tls-self-signed makes its own certificate: drop --tls-cert and --tls-key, or it");
        }

        if (cert is null && key is null)
        {
            return null;
        }

        if (cert is null || key is null)
        {
            throw new UsageException("--tls-cert and --tls-key go together: the PEM certificate (chain) and its private key");
        }

        var certPath = Path.GetFullPath(cert, directory);
        var keyPath = Path.GetFullPath(key, directory);
        foreach (var (flag, path) in new[] { ("--tls-cert", certPath), ("--tls-key", keyPath) })
        {
            if (!File.Exists(path))
            {
                throw new UsageException($"{flag}: file not found: {path}");
            }
        }

        return new TlsFiles(certPath, keyPath, false);
    }
}
