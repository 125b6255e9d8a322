using System.Net;
using System.Text;
using Herald.Protocol.Matchers;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Protocol.Matchers;

public class SubscribeMatchersTests
{
    private const string Hub = "https://hub.example.com/.well-known/mercure";

    public static TheoryData<string, string> Refused => new()
    {
        { "matchurlpattern=https%3A%2F%2Fexample.com%2F%2A", "unknown matcher parameter" },
        { "match_URLPattern=x", "unknown matcher parameter" },
        { "MATCH=x", "unknown matcher parameter" },
        { "matchExactly=x", "unknown matcher parameter" },
        { "matches=x", "unknown matcher parameter" },
        { "%6Datchurlpattern=x", "unknown matcher parameter" },
        { "match=a%01b", "control character U+0001" },
        { "match=a%7Fb", "control character U+007F" },
        { "match=a%C2%85b", "control character U+0085" },
        { "match=a%E2%80%8Bb", "format character U+200B" },
        { "match=a%E2%80%AEb", "format character U+202E" },
        { "matchURLPattern=a%FFb", "not valid UTF-8" },
        { "match=", "empty" },
        { "matchURLPattern=https%3A%2F%2Fexample.com%2F(", "invalid URL pattern" },
        { "matchURLPattern=https%3A%2F%2Fexample.com%2F%3Aid((%3F%3Dx).*)", "lookahead" },
        { "matchURLPattern=https%3A%2F%2Fexample.com%2F%3Aid((%3F%3C!x).*)", "lookbehind" },
        { "matchURLPattern=https%3A%2F%2Fexample.com%2F%3Aid(%5Cw%5C1)", "backreferences" },
        { "matchURLPattern=https%3A%2F%2Fexample.com%2F%3Aid((%3F%3A(%3F%3Aa%7B64%7D)%7B64%7D)%7B64%7D)", "too complex" },
        { "matchURLPattern=https%3A%2F%2Fexample.com%2F%3Aid(a%7B65%7D)", "repetition bound" },
        { "matchURLPattern=https%3A%2F%2Fexample.com%2F%3Aa%2F%3Aa", "used twice" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_bad_matcher_parameter_is_refused_with_a_one_line_reason(string query, string reason)
    {
        var (_, error) = SubscribeMatchers.Parse(query, Hub);
        Assert.NotNull(error);
        Assert.Contains(reason, error.Reason);
        Assert.DoesNotContain('\n', error.Reason);
    }

    [Fact]
    public void Counts_and_lengths_are_bounded_as_the_reference_hub_bounds_them()
    {
        var hundred = string.Join('&', Enumerable.Range(0, 100).Select(i => $"match=t{i}"));
        Assert.Null(SubscribeMatchers.Parse(hundred, Hub).Error);
        Assert.Contains("more than 100", SubscribeMatchers.Parse(hundred + "&match=x", Hub).Error!.Reason);

        var longest = "match=" + new string('a', SubscribeMatchers.MaxMatcherBytes);
        Assert.Null(SubscribeMatchers.Parse(longest, Hub).Error);
        Assert.Contains("longer than", SubscribeMatchers.Parse(longest + "a", Hub).Error!.Reason);

        // Bytes, not characters: 2,049 two-byte characters are 4,098 bytes.
        var wide = "match=" + string.Concat(Enumerable.Repeat("%C3%A9", 2049));
        Assert.Contains("longer than", SubscribeMatchers.Parse(wide, Hub).Error!.Reason);
        Assert.Null(SubscribeMatchers.Parse("match=" + string.Concat(Enumerable.Repeat("%C3%A9", 2048)), Hub).Error);
    }

    [Fact]
    public void Names_are_read_and_patterns_match_as_the_draft_says()
    {
        var query = "topic=ignored&match=%2A&matchExact=https%3A%2F%2Fexample.com%2Fbooks%2F1&matchURLPattern=%2Fbooks%2F%3Aid&match=bar";
        var (matchers, error) = SubscribeMatchers.Parse(query, Hub);
        Assert.Null(error);
        Assert.Equal([MatcherType.Exact, MatcherType.Exact, MatcherType.UrlPattern, MatcherType.Exact], matchers.Select(m => m.Type));

        Assert.True(matchers[0].IsWildcard);
        Assert.True(matchers[0].Matches("anything at all", Hub));
        Assert.True(matchers[1].Matches("https://example.com/books/1", Hub));
        Assert.False(matchers[1].Matches("https://example.com/books/1/", Hub)); // byte for byte
        Assert.True(matchers[2].Matches("/books/7", Hub)); // relative pattern and topic, both against the hub's URL
        Assert.True(matchers[2].Matches("https://hub.example.com/books/7", Hub));
        Assert.False(matchers[2].Matches("https://other.example.com/books/7", Hub));
        Assert.False(matchers[2].Matches("/books/7/8", Hub));
        Assert.True(matchers[3].Matches("bar", Hub)); // exact: not resolved against the hub's URL
        Assert.False(matchers[3].Matches("https://hub.example.com/.well-known/bar", Hub));
    }

    [Fact]
    public void Url_patterns_are_case_sensitive_but_hosts_are_canonical()
    {
        var matcher = TopicMatcher.Create(MatcherType.UrlPattern, "https://EXAMPLE.com/Books/:id", Hub);
        Assert.True(matcher.Matches("https://example.COM/Books/1", Hub));
        Assert.False(matcher.Matches("https://example.com/books/1", Hub));
        Assert.True(TopicMatcher.Create(MatcherType.UrlPattern, "*", Hub).Matches("not a url", Hub));
        Assert.False(TopicMatcher.Create(MatcherType.UrlPattern, "https://example.com/*", Hub).Matches("https://exa mple.com/x", Hub));
    }

    [Fact]
    public async Task The_subscribe_endpoint_refuses_a_bad_matcher_with_400_and_its_reason()
    {
        await using var hub = await TestHub.StartAsync(o =>
        {
            o.Anonymous = true;
            o.Protocol = HeraldProtocol.Both;
            AccessTokens.Configure(o);
            o.MaxTemplatesPerSubscription = 200;
        });
        using var unknown = await hub.GetRawAsync("matchurlpattern=x");
        Assert.Contains("unknown matcher parameter \"matchurlpattern\"", await unknown.AssertRefusedAsync(HttpStatusCode.BadRequest));

        using var malformed = await hub.GetRawAsync("matchURLPattern=" + Uri.EscapeDataString("https://example.com/{"));
        Assert.Contains("invalid URL pattern", await malformed.AssertRefusedAsync(HttpStatusCode.BadRequest));

        using var control = await hub.GetRawAsync("match=a%00b");
        Assert.Contains("control character U+0000", await control.AssertRefusedAsync(HttpStatusCode.BadRequest));

        var many = string.Join('&', Enumerable.Range(0, 101).Select(i => "matchURLPattern=" + Uri.EscapeDataString($"https://example.com/{i}/:id")));
        using var tooMany = await hub.GetRawAsync(many);
        Assert.Contains("more than 100", await tooMany.AssertRefusedAsync(HttpStatusCode.BadRequest));

        // The refusals left nothing behind: a valid 1.0 subscription on the same hub is served.
        await using var stream = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, "matchURLPattern=" + Uri.EscapeDataString("https://example.com/books/:id"), null, null);
        await hub.PublishAsync("https://example.com/books/1", "delivered");
        Assert.Equal("delivered", (await stream.NextAsync()).Data);
    }
}
