using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

/// <summary>The hub serves the JS client as one ES module any origin can import, cacheable, and pinned by version.</summary>
public class ClientScriptTests
{
    [Fact]
    public async Task The_client_is_served_as_a_module_any_origin_may_load_and_revalidated_by_etag()
    {
        await using var hub = await TestHub.StartAsync();

        using var current = await hub.Client.GetAsync(TestHub.HubPath + "/client.js");
        var body = await current.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        Assert.Equal("text/javascript", current.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", current.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(TimeSpan.FromHours(1), current.Headers.CacheControl?.MaxAge);
        Assert.StartsWith("/*! herald-client ", body, StringComparison.Ordinal);
        Assert.Contains("export{", body, StringComparison.Ordinal);
        Assert.DoesNotContain("from\"eventsource-parser\"", body, StringComparison.Ordinal);

        var revalidate = new HttpRequestMessage(HttpMethod.Get, TestHub.HubPath + "/client.js");
        revalidate.Headers.IfNoneMatch.Add(current.Headers.ETag!);
        using var notModified = await hub.Client.SendAsync(revalidate);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task The_versioned_url_is_immutable_and_another_version_is_refused()
    {
        await using var hub = await TestHub.StartAsync();
        using var current = await hub.Client.GetAsync(TestHub.HubPath + "/client.js");
        var version = (await current.Content.ReadAsStringAsync()).Split('\n')[0]["/*! herald-client ".Length..^3];

        using var pinned = await hub.Client.GetAsync($"{TestHub.HubPath}/client-{version}.js");
        using var other = await hub.Client.GetAsync($"{TestHub.HubPath}/client-0.0.0-nope.js");

        Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        Assert.True(pinned.Headers.CacheControl?.Extensions.Any(e => e.Name == "immutable"));
        Assert.Contains(version, await other.AssertRefusedAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);

        // A hostile version is quoted escaped: the refusal stays one printable line.
        using var hostile = await hub.Client.GetAsync($"{TestHub.HubPath}/client-%0a%1b%5b2J.js");
        var reason = await hostile.AssertRefusedAsync(HttpStatusCode.BadRequest);
        Assert.DoesNotContain('\u001b', reason);
    }
}
