using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Herald.Auth;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Auth;

/// <summary>Keys per role: PEM public keys, rotation, <c>kid</c>, algorithm confusion, the validated-token cache.</summary>
public sealed class KeyTests : IDisposable
{
    private const string Topic = "https://example.com/books/1";
    private const string NewSecret = "the-new-hmac-secret-after-rotation-long-enough!";

    private readonly TempDirectory _directory = new();

    [Theory]
    [InlineData("RS256")]
    [InlineData("RS512")]
    [InlineData("PS256")]
    [InlineData("ES256")]
    [InlineData("ES384")]
    public async Task Tokens_signed_with_a_private_key_are_accepted_with_the_PEM_public_key(string alg)
    {
        using var key = NewKey(alg);
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.JwtKey = null;
            o.JwtKeys = [new HeraldKey { Algorithm = alg, Key = key.ExportSubjectPublicKeyInfoPem() }];
        });
        var subscriber = Tokens.SignAsymmetric(key, Tokens.Payload(subscribe: [Topic]), alg);
        var publisher = Tokens.SignAsymmetric(key, Tokens.Payload(publish: [Topic]), alg);
        await using var stream = await hub.SubscribeAsync([Topic], subscriber);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "signed with " + alg), new("private", "on")], publisher);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("signed with " + alg, (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task A_PEM_key_can_be_read_from_a_file_with_an_at_sign()
    {
        using var key = NewKey("ES256");
        File.WriteAllText(_directory.File("publisher.pem"), key.ExportSubjectPublicKeyInfoPem());
        await using var hub = await TestHub.StartAsync(o => o.PublisherKeys = [new HeraldKey { Algorithm = "ES256", Key = "@" + _directory.File("publisher.pem") }]);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], Tokens.SignAsymmetric(key, Tokens.Payload(publish: ["*"]), "ES256"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_RSA_public_key_used_as_an_HMAC_secret_is_refused()
    {
        using var key = RSA.Create(2048);
        var pem = key.ExportSubjectPublicKeyInfoPem();
        await using var hub = await TestHub.StartAsync(o => o.PublisherKeys = [new HeraldKey { Algorithm = "RS256", Key = pem }]);

        // The classic attack: the public key is public, so an attacker signs HS256 with its text as the secret.
        var forged = Tokens.Sign(pem, Tokens.Payload(publish: ["*"]), "HS256");
        using var response = await hub.PostAsync([new("topic", Topic), new("data", "forged")], forged);

        var reason = await response.AssertRefusedAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("HS256", reason);
        Assert.Contains("RS256", reason);
        Assert.DoesNotContain("BEGIN", reason);
    }

    [Fact]
    public async Task A_PEM_key_configured_without_its_algorithm_stops_the_hub_at_start()
    {
        using var key = RSA.Create(2048);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHub.StartAsync(o => o.PublisherKey = key.ExportSubjectPublicKeyInfoPem()));

        Assert.Contains("PEM key cannot be an HMAC secret", error.Message);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("RS256")]
    public async Task A_token_whose_algorithm_no_key_serves_is_refused_naming_the_accepted_ones(string alg)
    {
        using var key = RSA.Create(2048);
        await using var hub = await TestHub.StartAsync(o => o.PublisherKeys = [new HeraldKey { Algorithm = "PS256", Key = key.ExportSubjectPublicKeyInfoPem() }]);
        var token = alg == "none"
            ? Tokens.Sign("", Tokens.Payload(publish: ["*"]), "none")
            : Tokens.SignAsymmetric(key, Tokens.Payload(publish: ["*"]), alg);

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);

        var reason = await response.AssertRefusedAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("accepted: PS256", reason);
    }

    [Fact]
    public async Task Rotation_old_and_new_keys_both_work_then_removing_the_old_one_revokes_its_cached_tokens()
    {
        var reloader = new OptionsReloader();
        List<HeraldKey> keys = [new HeraldKey { Key = TestHub.Key }, new HeraldKey { Key = NewSecret }];
        await using var hub = await TestHub.StartAsync(
            o => o.SubscriberKeys = [.. keys],
            services: s => s.AddSingleton<IOptionsChangeTokenSource<HeraldOptions>>(reloader));
        var oldToken = Tokens.Create(TestHub.Key, subscribe: [Topic]);
        var newToken = Tokens.Create(NewSecret, subscribe: [Topic]);
        await using (await hub.SubscribeAsync([Topic], oldToken))
        await using (await hub.SubscribeAsync([Topic], newToken))
        {
            // Both keys valid at once: clients move to new tokens at their own pace.
        }

        keys.RemoveAt(0);
        reloader.Reload();

        using var refused = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", oldToken));
        Assert.Contains("did not verify", await refused.AssertRefusedAsync(HttpStatusCode.Unauthorized));
        await using var stream = await hub.SubscribeAsync([Topic], newToken);
        await hub.PublishAsync(Topic, "after rotation", isPrivate: true);
        Assert.Equal("after rotation", (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task A_kid_selects_its_key_and_only_that_key_is_tried()
    {
        using var first = RSA.Create(2048);
        using var second = RSA.Create(2048);
        await using var hub = await TestHub.StartAsync(o => o.PublisherKeys =
        [
            new HeraldKey { Algorithm = "RS256", KeyId = "2025-01", Key = first.ExportSubjectPublicKeyInfoPem() },
            new HeraldKey { Algorithm = "RS256", KeyId = "2025-02", Key = second.ExportSubjectPublicKeyInfoPem() },
        ]);
        var authorizer = hub.Services.GetRequiredService<Authorizer>();
        var payload = Tokens.Payload(publish: ["*"]);

        var before = authorizer.SignatureVerifications;
        using var selected = await hub.PostAsync([new("topic", Topic), new("data", "x")], Tokens.SignAsymmetric(second, payload, "RS256", kid: "2025-02"));
        Assert.Equal(HttpStatusCode.OK, selected.StatusCode);
        Assert.Equal(1, authorizer.SignatureVerifications - before);

        using var wrongKid = await hub.PostAsync([new("topic", Topic), new("data", "x")], Tokens.SignAsymmetric(second, payload, "RS256", kid: "2025-01"));
        Assert.Contains("kid 2025-01", await wrongKid.AssertRefusedAsync(HttpStatusCode.Unauthorized));

        using var unknownKid = await hub.PostAsync([new("topic", Topic), new("data", "x")], Tokens.SignAsymmetric(second, payload, "RS256", kid: "1999"));
        Assert.Contains("kid \"1999\" names no publisher key", await unknownKid.AssertRefusedAsync(HttpStatusCode.Unauthorized));

        using var noKid = await hub.PostAsync([new("topic", Topic), new("data", "x")], Tokens.SignAsymmetric(second, payload, "RS256"));
        Assert.Equal(HttpStatusCode.OK, noKid.StatusCode);
    }

    [Fact]
    public async Task Reconnects_with_the_same_token_verify_its_signature_once()
    {
        using var key = RSA.Create(2048);
        await using var hub = await TestHub.StartAsync(o => o.SubscriberKeys = [new HeraldKey { Algorithm = "RS256", Key = key.ExportSubjectPublicKeyInfoPem() }]);
        var authorizer = hub.Services.GetRequiredService<Authorizer>();
        var token = Tokens.SignAsymmetric(key, Tokens.Payload(subscribe: [Topic], expires: DateTimeOffset.UtcNow.AddHours(1)), "RS256");
        var before = authorizer.SignatureVerifications;

        for (var i = 0; i < 20; i++)
        {
            await using var stream = await hub.SubscribeAsync([Topic], token);
        }

        Assert.Equal(1, authorizer.SignatureVerifications - before);
    }

    [Fact]
    public async Task Require_exp_refuses_a_token_without_expiry_and_accepts_one_with()
    {
        await using var hub = await TestHub.StartAsync(o => o.RequireExp = true);

        using var forever = await hub.PostAsync([new("topic", Topic), new("data", "x")], Tokens.Create(TestHub.Key, publish: ["*"]));
        using var expiring = await hub.PostAsync([new("topic", Topic), new("data", "x")], Tokens.Create(TestHub.Key, publish: ["*"], expires: DateTimeOffset.UtcNow.AddMinutes(5)));

        Assert.Contains("no exp", await forever.AssertRefusedAsync(HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.OK, expiring.StatusCode);
    }

    public void Dispose() => _directory.Dispose();

    private static AsymmetricAlgorithm NewKey(string alg) => alg switch
    {
        "ES256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        "ES384" => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        "ES512" => ECDsa.Create(ECCurve.NamedCurves.nistP521),
        _ => RSA.Create(2048),
    };
}
