using System.CommandLine;
using System.Text;
using Herald.Cli.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Cli.Commands;

/// <summary><c>herald token</c>: prints an HS256 JWT carrying the <c>mercure</c> claim, for curl and scripts.</summary>
internal static class TokenCommand
{
    /// <summary>Same floor as the hub's validator: shorter HMAC keys are brute-forceable and the hub refuses them.</summary>
    public const int MinimumKeyBytes = 32;

    private static readonly Option<string?> Key = new("--key")
    {
        Description = "HMAC key the hub was given (--jwt-key, --publisher-key or --subscriber-key) [default: $HERALD_JWTKEY]",
    };

    private static readonly Option<string[]> Publish = new("--publish")
    {
        Description = "topic selector the token may publish to (repeatable; '*' for all)",
    };

    private static readonly Option<string[]> Subscribe = new("--subscribe")
    {
        Description = "topic selector the token may receive private updates for (repeatable; '*' for all)",
    };

    private static readonly Option<TimeSpan?> Ttl = new("--ttl")
    {
        Description = $"lifetime, sets exp ({Duration.Syntax}) [default: no expiry]",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Duration.TryParse(text, out var value) && value > TimeSpan.Zero)
            {
                return value;
            }

            result.AddError($"--ttl: \"{text}\" is not a positive {Duration.Syntax}");
            return null;
        },
    };

    public static Command Create()
    {
        var command = new Command("token", "Print a JWT for the hub (HS256, mercure claim).") { Key, Publish, Subscribe, Ttl };
        command.SetAction(parseResult => Run(
            parseResult.GetValue(Key) ?? Environment.GetEnvironmentVariable("HERALD_JWTKEY"),
            parseResult.GetValue(Publish) ?? [],
            parseResult.GetValue(Subscribe) ?? [],
            parseResult.GetValue(Ttl)));
        return command;
    }

    private static int Run(string? key, string[] publish, string[] subscribe, TimeSpan? ttl)
    {
        if (string.IsNullOrEmpty(key))
        {
            return Cli.Fail("token: --key is required (or set HERALD_JWTKEY)");
        }

        if (Encoding.UTF8.GetByteCount(key) < MinimumKeyBytes)
        {
            return Cli.Fail($"token: --key must be at least {MinimumKeyBytes} bytes long (256 bits) for HMAC signing");
        }

        Console.Out.WriteLine(Create(key, publish, subscribe, ttl, DateTime.UtcNow));
        return Cli.Ok;
    }

    internal static string Create(string key, string[] publish, string[] subscribe, TimeSpan? ttl, DateTime now)
    {
        var mercure = new Dictionary<string, object>();
        if (publish.Length > 0)
        {
            mercure["publish"] = publish;
        }

        if (subscribe.Length > 0)
        {
            mercure["subscribe"] = subscribe;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["mercure"] = mercure },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
            IssuedAt = now,
            Expires = now + ttl,
        };

        // Without this the handler adds a one-hour exp of its own; expiry is --ttl's business.
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(descriptor);
    }
}
