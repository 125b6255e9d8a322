using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Auth;

/// <summary>
/// The keys that verify one role's tokens. Each key serves exactly its configured algorithms, all of one family, so a
/// PEM public key can never be mistaken for an HMAC secret (the algorithm-confusion attack).
/// </summary>
internal sealed class KeyRing
{
    /// <summary>2048 bits: shorter RSA keys are factorable by well-funded attackers (NIST SP 800-131A).</summary>
    public const int MinimumRsaBits = 2048;

    /// <summary>HMAC secrets below 256 bits are brute-forceable, and the JWT library refuses them anyway.</summary>
    public const int MinimumSecretBytes = 32;

    private const string PemMarker = "-----BEGIN";

    private readonly HashSet<string> _fingerprints;

    private KeyRing(TokenRole role, IReadOnlyList<VerificationKey> keys)
    {
        Role = role;
        Keys = keys;
        _fingerprints = keys.Select(k => k.Fingerprint).ToHashSet(StringComparer.Ordinal);
        AcceptedAlgorithms = string.Join(", ", keys.SelectMany(k => k.Algorithms).Distinct());
    }

    public TokenRole Role { get; }

    public IReadOnlyList<VerificationKey> Keys { get; }

    /// <summary>"HS256, RS256": for refusals naming what the hub would have accepted.</summary>
    public string AcceptedAlgorithms { get; }

    public bool Contains(string fingerprint) => _fingerprints.Contains(fingerprint);

    /// <summary>A ring of keys loaded elsewhere (an issuer's JWK Set).</summary>
    public static KeyRing Of(TokenRole role, IReadOnlyList<VerificationKey> keys) => new(role, keys);

    /// <summary>SHA-256 of the family and key material, as every configured key's <see cref="VerificationKey.Fingerprint"/>.</summary>
    public static string FingerprintOf(KeyFamily family, byte[] material) => Fingerprint(family, material);

    /// <summary>Loads every key of a role; failures name the key by position and say what is wrong, never its value.</summary>
    public static (KeyRing Ring, List<string> Errors) Build(TokenRole role, HeraldOptions options) =>
        Build(role, options.KeysFor(role == TokenRole.Publisher), options.JwtAlgorithms, "");

    /// <summary>Loads the given keys of a role; <paramref name="labelPrefix"/> (e.g. "issuer X ") names whose keys they are.</summary>
    public static (KeyRing Ring, List<string> Errors) Build(TokenRole role, IEnumerable<HeraldKey> configuredKeys, string[] hmacAlgorithms, string labelPrefix)
    {
        var keys = new List<VerificationKey>();
        var errors = new List<string>();
        var roleName = role == TokenRole.Publisher ? "publisher" : "subscriber";
        var index = 0;
        foreach (var configured in configuredKeys)
        {
            index++;
            var label = $"{labelPrefix}{roleName} key {index}";
            try
            {
                keys.Add(Load(label, configured, hmacAlgorithms));
            }
            catch (KeyLoadException e)
            {
                errors.Add($"{label}: {e.Message}");
            }
        }

        return (new KeyRing(role, keys), errors);
    }

    /// <summary>Null when the key loads, else why not (for the options validator; never includes the key).</summary>
    public static string? Check(HeraldKey configured, string[] hmacAlgorithms)
    {
        try
        {
            Load("key", configured, hmacAlgorithms);
            return null;
        }
        catch (KeyLoadException e)
        {
            return e.Message;
        }
    }

    private static VerificationKey Load(string label, HeraldKey configured, string[] hmacAlgorithms)
    {
        var value = configured.Key;
        if (string.IsNullOrEmpty(value))
        {
            throw new KeyLoadException("Key is empty");
        }

        var algorithm = string.IsNullOrEmpty(configured.Algorithm) ? null : configured.Algorithm;
        if (algorithm is not null && !JwtAlgorithm.IsKnown(algorithm))
        {
            throw new KeyLoadException($"unknown algorithm \"{algorithm}\" (use one of {string.Join(", ", JwtAlgorithm.All)}; \"none\" is never accepted)");
        }

        var (material, file) = ReadValue(value);
        var family = algorithm is null ? KeyFamily.Hmac : JwtAlgorithm.FamilyOf(algorithm);
        var algorithms = algorithm is null ? hmacAlgorithms : [algorithm];
        var description = algorithm ?? "HMAC";
        if (configured.KeyId is { Length: > 0 } kid)
        {
            label += $" ({description}, kid {kid})";
        }
        else
        {
            label += $" ({description})";
        }

        return family switch
        {
            KeyFamily.Hmac => LoadHmac(label, configured.KeyId, algorithms, material, file),
            KeyFamily.Rsa => LoadRsa(label, configured.KeyId, algorithms, material),
            _ => LoadEcdsa(label, configured.KeyId, algorithm!, material),
        };
    }

    /// <summary>
    /// <c>@path</c> reads a file (relative to the working directory), returned with its full path for refusals;
    /// anything else is the value itself.
    /// </summary>
    private static (string Material, string? File) ReadValue(string value)
    {
        if (!value.StartsWith('@'))
        {
            return (value, null);
        }

        var path = Path.GetFullPath(value[1..]);
        try
        {
            return (File.ReadAllText(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyLoadException($"cannot read key file {path}: {e.Message}");
        }
    }

    private static VerificationKey LoadHmac(string label, string? keyId, string[] algorithms, string secret, string? file)
    {
        if (secret.Contains(PemMarker, StringComparison.Ordinal))
        {
            // The heart of algorithm confusion: a public key used as an HMAC secret lets anyone who has it sign tokens.
            throw new KeyLoadException("a PEM key cannot be an HMAC secret: give its algorithm (e.g. RS256:@key.pem)");
        }

        var bytes = Encoding.UTF8.GetBytes(secret);
        if (bytes.Length < MinimumSecretBytes)
        {
            throw new KeyLoadException(file is null
                ? $"must be at least {MinimumSecretBytes} bytes long (256 bits) for HMAC signing"
                : $"the secret in {file} is {bytes.Length} bytes; it must be at least {MinimumSecretBytes} bytes long (256 bits) for HMAC signing");
        }

        return new VerificationKey(label, Fingerprint(KeyFamily.Hmac, bytes), keyId, KeyFamily.Hmac, algorithms, new SymmetricSecurityKey(bytes));
    }

    private static VerificationKey LoadRsa(string label, string? keyId, string[] algorithms, string pem)
    {
        using var rsa = RSA.Create();
        ImportPem(rsa, pem);
        if (rsa.KeySize < MinimumRsaBits)
        {
            throw new KeyLoadException($"the RSA key has {rsa.KeySize} bits; at least {MinimumRsaBits} are required");
        }

        // Only the public half is kept, even when a private key was given.
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        var fingerprint = Fingerprint(KeyFamily.Rsa, rsa.ExportSubjectPublicKeyInfo());
        return new VerificationKey(label, fingerprint, keyId, KeyFamily.Rsa, algorithms, new RsaSecurityKey(parameters));
    }

    private static VerificationKey LoadEcdsa(string label, string? keyId, string algorithm, string pem)
    {
        using var imported = ECDsa.Create();
        ImportPem(imported, pem);
        var expected = JwtAlgorithm.CurveBits(algorithm);
        if (imported.KeySize != expected)
        {
            throw new KeyLoadException($"{algorithm} needs a P-{expected} key, this one is {imported.KeySize} bits");
        }

        var publicKey = ECDsa.Create(imported.ExportParameters(includePrivateParameters: false));
        var fingerprint = Fingerprint(KeyFamily.Ecdsa, imported.ExportSubjectPublicKeyInfo());
        return new VerificationKey(label, fingerprint, keyId, KeyFamily.Ecdsa, [algorithm], new ECDsaSecurityKey(publicKey));
    }

    private static void ImportPem(AsymmetricAlgorithm key, string pem)
    {
        if (!pem.Contains(PemMarker, StringComparison.Ordinal))
        {
            throw new KeyLoadException("expected a PEM public key (-----BEGIN PUBLIC KEY-----), inline or as @path/to/key.pem");
        }

        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new KeyLoadException($"not a usable {(key is RSA ? "RSA" : "ECDSA")} PEM key: {e.Message}");
        }
    }

    private static string Fingerprint(KeyFamily family, byte[] material)
    {
        var bytes = new byte[material.Length + 1];
        bytes[0] = (byte)family;
        material.CopyTo(bytes, 1);
        return Convert.ToHexString(SHA256.HashData(bytes));
    }

    private sealed class KeyLoadException(string message) : Exception(message);
}
