using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Auth;

/// <summary>RFC 9728 metadata at <c>/.well-known/oauth-protected-resource/.well-known/mercure</c> (draft-08 "Discovery").</summary>
public class ProtectedResourceMetadataTests
{
    [Fact]
    public async Task The_document_has_the_drafts_members_and_is_public()
    {
        await using var hub = await TestHub.StartAsync(o =>
        {
            AccessTokens.Configure(o);
            o.Subscriptions = true;
        });

        using var response = await hub.Client.GetAsync("/.well-known/oauth-protected-resource/.well-known/mercure");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.Equal(AccessTokens.Resource, root.GetProperty("resource").GetString());
        Assert.Equal([AccessTokens.Issuer, AccessTokens.OtherIssuer], root.GetProperty("authorization_servers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["header"], root.GetProperty("bearer_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(AccessTokens.DetailType, root.GetProperty("authorization_details_types_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.True(root.GetProperty("mercure_cookie").GetBoolean());
        Assert.True(root.GetProperty("mercure_subscriptions").GetBoolean());
        Assert.Equal(8, root.GetProperty("mercure_version").GetInt32());
    }

    [Fact]
    public async Task Without_a_configured_resource_the_hubs_own_url_is_the_resource_and_the_challenge_points_here()
    {
        await using var hub = await TestHub.StartAsync();

        using var refused = await hub.PostRawAsync(HubRequests.Form(("topic", "t")), token: null);
        var challenge = refused.Headers.WwwAuthenticate.ToString();
        var metadataUrl = challenge.Split("resource_metadata=\"")[1].TrimEnd('"');
        Assert.Equal(new Uri(hub.BaseAddress, "/.well-known/oauth-protected-resource/.well-known/mercure").ToString(), metadataUrl);

        using var response = await hub.Client.GetAsync(metadataUrl);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(hub.HubUrl.ToString(), document.RootElement.GetProperty("resource").GetString());
        Assert.False(document.RootElement.TryGetProperty("authorization_servers", out _));
        Assert.False(document.RootElement.GetProperty("mercure_subscriptions").GetBoolean());
    }
}
