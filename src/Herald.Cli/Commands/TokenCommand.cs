using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Herald.Cli.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Cli.Commands;

/// <summary>
/// <c>herald token</c>: prints a JWT carrying the <c>mercure</c> claim (or, with <c>--v1</c>, a Mercure 1.0 <c>at+jwt</c>
/// access token with <c>authorization_details</c>), and nothing else on stdout, so <c>$(herald token …)</c> works in
/// scripts. HMAC secrets or PEM private keys.
/// </summary>
internal static class TokenCommand
{
    /// <summary>Same floor as the hub's validator: shorter HMAC keys are brute-forceable and the hub refuses them.</summary>
    public const int MinimumKeyBytes = 32;

    private static readonly string[] Algorithms = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

    private static readonly Option<string?> Key = new("--key")
    {
        Description = "HMAC secret the hub was given, or a PEM private key (inline or @path/to/key.pem) for RS*/PS*/ES* [default: $HERALD_JWTKEY]",
    };

    private static readonly Option<string> Alg = new("--alg")
    {
        Description = "signing algorithm: HS256/384/512 (secret), RS256/384/512, PS256/384/512 (RSA key), ES256/384/512 (EC key)",
        DefaultValueFactory = _ => "HS256",
    };

    private static readonly Option<string[]> Publish = new("--publish")
    {
        Description = "topic selector the token may publish to (repeatable; '*' for all)",
    };

    private static readonly Option<string[]> Subscribe = new("--subscribe")
    {
        Description = "topic selector the token may receive private updates for (repeatable; '*' for all)",
    };

    private static readonly Option<string?> Payload = new("--payload") { Description = "JSON for mercure.payload (sent to subscription events)" };

    private static readonly Option<string?> Kid = new("--kid") { Description = "key id (kid header): selects the hub's key with that KeyId" };

    private static readonly Option<TimeSpan?> Ttl = Durations.Option("--ttl", "lifetime, sets exp [default: no expiry; 1h with --v1]");

    private static readonly Option<bool> V1 = new("--v1") { Description = "a Mercure 1.0 access token (typ at+jwt, authorization_details); needs --issuer and --audience" };

    private static readonly Option<string?> Issuer = new("--issuer") { Description = "with --v1: iss, the issuer id the hub is configured with (--issuer of herald serve)" };

    private static readonly Option<string[]> Audience = new("--audience") { Description = "with --v1: aud, the hub's resource identifier (--resource of herald serve); repeatable" };

    private static readonly Option<string?> Subject = new("--sub") { Description = "sub claim: identifies the subscriber (subscription events, per-subject limits)" };

    private static readonly Option<string[]> PublishPattern = new("--publish-pattern") { Description = "with --v1: URL pattern the token may publish to (repeatable)" };

    private static readonly Option<string[]> SubscribePattern = new("--subscribe-pattern") { Description = "with --v1: URL pattern the token may receive private updates for (repeatable)" };

    /// <summary>1 hour: a 1.0 access token must expire, and short-lived is what the draft asks for.</summary>
    private static readonly TimeSpan DefaultV1Ttl = TimeSpan.FromHours(1);

    public static Command Create()
    {
        var command = new Command("token", "Print a JWT for the hub (mercure claim, or a 1.0 access token with --v1); only the token goes to stdout.")
        {
            Key, Alg, Publish, Subscribe, Payload, Ttl, Kid, V1, Issuer, Audience, Subject, PublishPattern, SubscribePattern,
        };
        command.SetAction(parseResult =>
        {
            try
            {
                var publish = parseResult.GetValue(Publish) ?? [];
                var subscribe = parseResult.GetValue(Subscribe) ?? [];
                if (parseResult.GetValue(V1))
                {
                    var publishPatterns = parseResult.GetValue(PublishPattern) ?? [];
                    var subscribePatterns = parseResult.GetValue(SubscribePattern) ?? [];
                    var accessToken = CreateV1(
                        parseResult.GetValue(Key) ?? Environment.GetEnvironmentVariable("HERALD_JWTKEY"),
                        parseResult.GetValue(Alg) ?? "HS256",
                        new V1Grants(publish, publishPatterns, subscribe, subscribePatterns),
                        parseResult.GetValue(Payload),
                        parseResult.GetValue(Issuer),
                        parseResult.GetValue(Audience) ?? [],
                        parseResult.GetValue(Subject),
                        parseResult.GetValue(Ttl) ?? DefaultV1Ttl,
                        parseResult.GetValue(Kid),
                        DateTime.UtcNow);
                    if (publish.Length + publishPatterns.Length + subscribe.Length + subscribePatterns.Length == 0)
                    {
                        Console.Error.WriteLine("herald: token: warning: no --publish or --subscribe: this token cannot publish and receives only public updates (e.g. --publish '*')");
                    }

                    Console.Out.WriteLine(accessToken);
                    return Cli.Ok;
                }

                if (parseResult.GetValue(PublishPattern) is { Length: > 0 } || parseResult.GetValue(SubscribePattern) is { Length: > 0 })
                {
                    throw new UsageException("--publish-pattern and --subscribe-pattern are for --v1 tokens (0.x tokens take URI templates in --publish and --subscribe)");
                }

                var token = Create(
                    parseResult.GetValue(Key) ?? Environment.GetEnvironmentVariable("HERALD_JWTKEY"),
                    parseResult.GetValue(Alg) ?? "HS256",
                    publish,
                    subscribe,
                    parseResult.GetValue(Payload),
                    parseResult.GetValue(Ttl),
                    parseResult.GetValue(Kid),
                    DateTime.UtcNow);
                if (publish.Length == 0 && subscribe.Length == 0)
                {
                    // Still printed: it is a valid subscriber token for public updates, just rarely what was meant.
                    Console.Error.WriteLine("herald: token: warning: no --publish or --subscribe: this token cannot publish and receives only public updates (e.g. --publish '*')");
                }

                Console.Out.WriteLine(token);
                return Cli.Ok;
            }
            catch (UsageException e)
            {
                return Cli.Fail("token: " + e.Message);
            }
        });
        return command;
    }

    /// <summary>An HS256 token without expiry, for commands that were given the hub's key instead of a token.</summary>
    internal static string CreateHmac(string key, string[] publish, string[] subscribe) =>
        Create(key, "HS256", publish, subscribe, null, null, null, DateTime.UtcNow);

    /// <summary>Mints a token; every mistake is a <see cref="UsageException"/> naming the flag.</summary>

    internal static string Create(string? key, string alg, string[] publish, string[] subscribe, string? payloadJson, TimeSpan? ttl, string? kid, DateTime now)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new UsageException("--key is required (or set HERALD_JWTKEY)");
        }

        if (!Algorithms.Contains(alg, StringComparer.Ordinal))
        {
            throw new UsageException($"--alg: \"{alg}\" is not one of {string.Join(", ", Algorithms)}");
        }

        var mercure = new Dictionary<string, object>();
        if (publish.Length > 0)
        {
            mercure["publish"] = publish;
        }

        if (subscribe.Length > 0)
        {
            mercure["subscribe"] = subscribe;
        }

        if (payloadJson is not null)
        {
            try
            {
                using var document = JsonDocument.Parse(payloadJson);
                mercure["payload"] = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new UsageException($"--payload is not valid JSON: {e.Message}");
            }
        }

        var signingKey = SigningKey(key, alg);
        signingKey.KeyId = kid;
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["mercure"] = mercure },
            SigningCredentials = new SigningCredentials(signingKey, alg),
            IssuedAt = now,
            Expires = now + ttl,
        };

        // Without this the handler adds a one-hour exp of its own; expiry is --ttl's business.
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(descriptor);
    }

    /// <summary>The topics of a 1.0 token, by action: exact topics (or <c>*</c>) and URL patterns.</summary>
    internal sealed record V1Grants(string[] Publish, string[] PublishPatterns, string[] Subscribe, string[] SubscribePatterns);

    /// <summary>
    /// Mints a Mercure 1.0 access token: <c>typ: at+jwt</c>, <c>iss</c>, <c>aud</c>, <c>exp</c>, and one
    /// <c>authorization_details</c> entry per action (<c>https://mercure.rocks/authorization-detail</c>); the payload
    /// goes with the subscribe entry.
    /// </summary>
    internal static string CreateV1(string? key, string alg, V1Grants grants, string? payloadJson, string? issuer, string[] audience, string? subject, TimeSpan ttl, string? kid, DateTime now)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new UsageException("--key is required (or set HERALD_JWTKEY)");
        }

        if (!Algorithms.Contains(alg, StringComparer.Ordinal))
        {
            throw new UsageException($"--alg: \"{alg}\" is not one of {string.Join(", ", Algorithms)}");
        }

        if (string.IsNullOrEmpty(issuer))
        {
            throw new UsageException("--v1 needs --issuer: the issuer id the hub trusts (its --issuer)");
        }

        if (audience.Length == 0)
        {
            throw new UsageException("--v1 needs --audience: the hub's resource identifier (its --resource)");
        }

        if (ttl <= TimeSpan.Zero)
        {
            throw new UsageException("--ttl must be positive: a 1.0 access token must expire");
        }

        JsonElement? payload = null;
        if (payloadJson is not null)
        {
            try
            {
                using var document = JsonDocument.Parse(payloadJson);
                payload = document.RootElement.ValueKind == JsonValueKind.Object
                    ? document.RootElement.Clone()
                    : throw new UsageException("--payload must be a JSON object for a --v1 token");
            }
            catch (JsonException e)
            {
                throw new UsageException($"--payload is not valid JSON: {e.Message}");
            }
        }

        var details = new List<object>();
        if (grants.Publish.Length + grants.PublishPatterns.Length > 0)
        {
            details.Add(Detail("publish", grants.Publish, grants.PublishPatterns, null));
        }

        if (grants.Subscribe.Length + grants.SubscribePatterns.Length > 0)
        {
            details.Add(Detail("subscribe", grants.Subscribe, grants.SubscribePatterns, payload));
        }

        var claims = new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["aud"] = audience.Length == 1 ? audience[0] : audience,
            ["jti"] = Guid.NewGuid().ToString(),
            ["authorization_details"] = details,
        };
        if (!string.IsNullOrEmpty(subject))
        {
            claims["sub"] = subject;
        }

        var signingKey = SigningKey(key, alg);
        signingKey.KeyId = kid;
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = new SigningCredentials(signingKey, alg),
            TokenType = "at+jwt",
            IssuedAt = now,
            Expires = now + ttl,
        };
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(descriptor);
    }

    private static Dictionary<string, object> Detail(string action, string[] topics, string[] patterns, JsonElement? payload)
    {
        var matchers = topics.Select(t => (object)new Dictionary<string, object> { ["match"] = t })
            .Concat(patterns.Select(p => (object)new Dictionary<string, object> { ["match"] = p, ["match_type"] = "URLPattern" }))
            .ToList();
        var detail = new Dictionary<string, object>
        {
            ["type"] = "https://mercure.rocks/authorization-detail",
            ["actions"] = new[] { action },
            ["topics"] = matchers,
        };
        if (payload is { } value)
        {
            detail["payload"] = value;
        }

        return detail;
    }

    private static SecurityKey SigningKey(string value, string alg)
    {
        if (value.StartsWith('@'))
        {
            try
            {
                value = File.ReadAllText(value[1..]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--key: cannot read {value[1..]}: {e.Message}");
            }
        }

        var isPem = value.Contains("-----BEGIN", StringComparison.Ordinal);
        if (alg[0] == 'H')
        {
            if (isPem)
            {
                throw new UsageException("--key is a PEM key: give its algorithm with --alg (RS256, ES256, …)");
            }

            var bytes = Encoding.UTF8.GetBytes(value);
            var needed = Math.Max(MinimumKeyBytes, int.Parse(alg[2..], System.Globalization.CultureInfo.InvariantCulture) / 8);
            return bytes.Length >= needed
                ? new SymmetricSecurityKey(bytes)
                : throw new UsageException($"--key must be at least {needed} bytes long ({needed * 8} bits) for {alg} signing");
        }

        if (!isPem)
        {
            throw new UsageException($"--alg {alg} signs with a PEM private key: give --key @path/to/key.pem");
        }

        try
        {
            if (alg[0] == 'E')
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportFromPem(value);
                return new ECDsaSecurityKey(ecdsa);
            }

            var rsa = RSA.Create();
            rsa.ImportFromPem(value);
            return new RsaSecurityKey(rsa);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new UsageException($"--key is not a usable {(alg[0] == 'E' ? "EC" : "RSA")} private key: {e.Message}");
        }
    }
}
