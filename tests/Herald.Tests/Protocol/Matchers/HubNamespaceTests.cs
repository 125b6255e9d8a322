using Herald.Protocol.Matchers;

namespace Herald.Tests.Protocol.Matchers;

public class HubNamespaceTests
{
    private const string Hub = "https://hub.example.com/.well-known/mercure";

    [Theory]
    [InlineData("https://example.com/.well-known/mercure")]
    [InlineData("https://example.com/.well-known/mercure/subscriptions/Exact/a/b")]
    [InlineData("https://example.com/.well-known/x/../mercure/y")]
    [InlineData("https://example.com/.well-known/x/%2e%2E/mercure")]
    [InlineData("https://example.com/%2Ewell-known/mercure")]
    [InlineData("https://example.com/.well-known/%6D%65rcure/x")]
    [InlineData("non-special://host/.well-known/mercure")]
    [InlineData("/.well-known/mercure/subscriptions")]
    [InlineData("mercure/subscriptions")] // relative: resolved against the hub's URL
    [InlineData("./mercure")]
    [InlineData("?x")] // the hub's own URL with a query
    [InlineData("#x")]
    [InlineData("https://example.com/.well-known/merc\ture")] // the parser drops tabs
    [InlineData("https://exa mple.com/.well-known/mercure")] // not a WHATWG URL: read as a reference
    [InlineData("https://example.com%2F.well-known%2Fmercure")]
    public void Addresses_the_reserved_namespace(string topic) => Assert.True(HubNamespace.IsReserved(topic, Hub));

    [Theory]
    [InlineData("https://example.com/?x=/.well-known/mercure")]
    [InlineData("https://example.com/#/.well-known/mercure")]
    [InlineData("https://example.com/a/.well-known/mercure")]
    [InlineData("https://example.com/.well-known/mercure2")]
    [InlineData("https://example.com/.well-known/mercure%2Fx")] // an escaped '/' is not a separator
    [InlineData("urn:uuid:/.well-known/mercure")]
    [InlineData("books/1")]
    [InlineData("foo")]
    public void Does_not_address_the_reserved_namespace(string topic) => Assert.False(HubNamespace.IsReserved(topic, Hub));
}
