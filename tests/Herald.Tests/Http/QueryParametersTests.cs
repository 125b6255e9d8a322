using CsCheck;
using Herald.Http;
using Herald.Tests.Fuzz;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Herald.Tests.Http;

/// <summary>
/// The gate reads its parameters from the raw query instead of <c>request.Query</c> (whose dictionary every connect
/// would allocate): it must read exactly what <c>request.Query</c> reads, for any query a client can send.
/// </summary>
public sealed class QueryParametersTests
{
    private static readonly string[] Names = ["topic", "lastEventID", "last_event_id", "reportMatches", "herald-delta", "authorization", "access_token", "timeout"];

    [Theory]
    [InlineData("?topic=a&topic=b", "topic")]
    [InlineData("?TOPIC=a&Topic=b&topic=c", "topic")]
    [InlineData("?t%6Fpic=a&to+pic=b", "topic")]
    [InlineData("?topic=https%3A%2F%2Fexample.com%2Fbooks%2F%7Bid%7D", "topic")]
    [InlineData("?topic=a+b%20c%2", "topic")]
    [InlineData("?topic=%ZZ%&topic=%C3%A9t%C3%A9&topic=%FF", "topic")]
    [InlineData("?reportMatches&reportMatches=&=x&&", "reportMatches")]
    [InlineData("?lastEventID=&last_event_id=urn%3Auuid%3A1", "last_event_id")]
    [InlineData("", "topic")]
    [InlineData("?", "topic")]
    [InlineData("?other=1", "topic")]
    public void ReadsWhatRequestQueryReads(string query, string name)
    {
        var request = RequestWith(query);
        Assert.Equal(request.Query[name], QueryParameters.Get(request, name));
        Assert.Equal(request.Query.ContainsKey(name), QueryParameters.Contains(request, name));
    }

    [Fact]
    public void AnyQueryReadsAsRequestQueryDoes()
    {
        var part = Gen.OneOf(
            Gen.Int[0, Names.Length - 1].Select(i => Names[i]),
            Gen.Int[0, 10].Select(i => new[] { "TOPIC", "t%6Fpic", "top+ic", "%74opic", "", "%", "%2", "é", "\u0000", "a=b", "&" }[i]),
            Fuzzing.HostileText);
        var pair = Gen.Select(part, part, Gen.Bool).Select(p => p.Item3 ? p.Item1 + "=" + p.Item2 : p.Item1);
        pair.Array[0, 8].Select(pairs => "?" + string.Join('&', pairs)).Sample(query =>
        {
            var request = RequestWith(query);
            foreach (var name in Names)
            {
                Assert.Equal(request.Query[name], QueryParameters.Get(request, name));
                Assert.Equal(request.Query.ContainsKey(name), QueryParameters.Contains(request, name));
            }
        }, iter: 2_000);
    }

    private static HttpRequest RequestWith(string query)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = query.Length == 0 ? QueryString.Empty : QueryString.FromUriComponent(query.StartsWith('?') ? query : "?" + query);
        return context.Request;
    }
}
