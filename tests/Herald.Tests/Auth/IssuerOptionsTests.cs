using Herald.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Auth;

/// <summary>Issuer configurations that would fail later or weaken the hub stop it at start, naming the setting.</summary>
public class IssuerOptionsTests
{
    public static TheoryData<string, string> Invalid => new()
    {
        { "no-resource", "Resource is required with Issuers" },
        { "resource-with-space", "Resource must be" },
        { "no-id", "Issuers[0].Id" },
        { "duplicate-id", "configured twice" },
        { "no-keys", "has no keys" },
        { "short-secret", "Issuers[0].PublisherKeys[0]" },
        { "http-jwks", "JwksUri must be an https URL" },
        { "relative-jwks", "JwksUri must be an https URL" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task An_invalid_issuer_configuration_stops_the_hub_at_start(string kind, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHub.StartAsync(o =>
        {
            o.Resource = AccessTokens.Resource;
            var issuer = new HeraldIssuer { Id = AccessTokens.Issuer, SubscriberKeys = [new HeraldKey { Key = AccessTokens.IssuerKey }] };
            o.Issuers.Add(issuer);
            switch (kind)
            {
                case "no-resource":
                    o.Resource = null;
                    break;
                case "resource-with-space":
                    o.Resource = "https://hub.example.com/ mercure";
                    break;
                case "no-id":
                    issuer.Id = " ";
                    break;
                case "duplicate-id":
                    o.Issuers.Add(new HeraldIssuer { Id = AccessTokens.Issuer, JwksUri = "https://auth.example.com/jwks" });
                    break;
                case "no-keys":
                    issuer.SubscriberKeys.Clear();
                    break;
                case "short-secret":
                    issuer.PublisherKeys.Add(new HeraldKey { Key = "short" });
                    break;
                case "http-jwks":
                    issuer.JwksUri = "http://auth.example.com/jwks.json";
                    break;
                case "relative-jwks":
                    issuer.JwksUri = "/jwks.json";
                    break;
            }
        }));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(AccessTokens.IssuerKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_http_key_sets_are_allowed_on_loopback_only()
    {
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.Resource = AccessTokens.Resource;
            o.Issuers.Add(new HeraldIssuer { Id = AccessTokens.Issuer, JwksUri = "http://127.0.0.1:9/jwks.json" });
        });

        Assert.NotNull(hub.BaseAddress);
    }
}
