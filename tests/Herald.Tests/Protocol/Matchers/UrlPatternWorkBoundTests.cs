using System.Text.RegularExpressions;
using Herald.Protocol.Matchers;
using Herald.Protocol.UrlPatterns;
using Herald.Protocol.Urls;

namespace Herald.Tests.Protocol.Matchers;

/// <summary>
/// The hostile-clients bound holds for URL patterns: every component runs on the linear-time NonBacktracking engine,
/// whose cost per topic character is bounded by the expression's weight, itself bounded per component; matcher counts
/// and lengths are bounded by the subscribe parameters. Shown by counting, not timing.
/// </summary>
public class UrlPatternWorkBoundTests
{
    private const string Hub = "https://hub.example.com/.well-known/mercure";

    [Fact]
    public void Every_component_runs_on_the_non_backtracking_engine()
    {
        var pattern = UrlPattern.Create("https://{*.}?example.com/:id((?:a+)+b)?q=*#*", null);
        for (var i = 0; i < 8; i++)
        {
            Assert.True(pattern.ComponentOptions(i).HasFlag(RegexOptions.NonBacktracking));
        }
    }

    [Fact]
    public void Catastrophic_backtracking_patterns_match_in_one_pass()
    {
        // Exponential on a backtracking engine ((a+)+b on a run of a's without b); one pass here.
        var matcher = TopicMatcher.Create(MatcherType.UrlPattern, "https://example.com/:x((?:a+)+b)", Hub);
        var topic = "https://example.com/" + new string('a', 2000);
        long work = 0;
        Assert.False(matcher.Matches(topic, WhatwgUrlParser.Parse(topic, Hub), ref work));
        Assert.True(work <= matcher.WorkPerCharacter * (topic.Length + 1));
        Assert.True(matcher.WorkPerCharacter < 100);
    }

    [Fact]
    public void The_work_of_a_subscription_within_the_limits_is_bounded()
    {
        // The costliest pattern the hub accepts: repetitions nested to the weight limit in the pathname.
        var costly = "https://example.com/:x((?:(?:[ab]{8}){2}){60})";
        var matcher = TopicMatcher.Create(MatcherType.UrlPattern, costly, Hub);
        Assert.True(matcher.WorkPerCharacter <= 8 * UrlPatternComponent.MaxWeight);
        Assert.Throws<UrlPatternException>(() => TopicMatcher.Create(MatcherType.UrlPattern, "https://example.com/:x((?:(?:[ab]{8}){2}){64})", Hub));

        // A subscription holds at most MaxMatchers of them, each at most MaxMatcherBytes: the work per topic is bounded.
        var topic = "https://example.com/" + new string('a', new HeraldOptions().MaxTopicLength - 20);
        var resolved = WhatwgUrlParser.Parse(topic, Hub);
        long work = 0;
        for (var i = 0; i < SubscribeMatchers.MaxMatchers; i++)
        {
            matcher.Matches(topic, resolved, ref work);
        }

        long bound = SubscribeMatchers.MaxMatchers * 8 * UrlPatternComponent.MaxWeight * (new HeraldOptions().MaxTopicLength + 1);
        Assert.True(work <= bound, $"{work} > {bound}");
    }
}
