using System.Net;
using System.Text;
using Herald.Fanout;
using SubscriptionGateLimits = Herald.Http.SubscriptionGate;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Herald.Tests.Fanout;

/// <summary>
/// Anonymous clients with costly URI templates cannot slow delivery for everyone: the template limits refuse the
/// attack, and the matching work that any mix of clients within the limits can cause is bounded — shown by counting
/// the work the index does, not by timing it.
/// </summary>
public class HostileTemplateTests(ITestOutputHelper output)
{
    private const string Healthy = "https://example.com/books/1";

    [Fact]
    public async Task The_reported_attack_is_refused_and_a_healthy_subscriber_is_unaffected()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        await using var healthy = await hub.SubscribeAsync([Healthy], anonymous: true);

        // The attack: distinct templates of hundreds of expressions each (700: HttpClient escapes braces, the attack did not).
        var refusals = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            using var response = await hub.GetRawAsync(RawTopicQuery(AttackTemplate(i, 700)));
            refusals.Add(await response.AssertRefusedAsync(HttpStatusCode.BadRequest));
        }

        Assert.All(refusals, r => Assert.Matches("MaxTopicLength|MaxTemplateLength|MaxTemplateExpressions", r));
        var index = hub.Services.GetRequiredService<SubscriberIndex>();
        Assert.Equal(0, index.TemplateCount);

        // A topic as long as publishers may send, and the healthy subscriber still gets its update.
        await hub.PublishAsync(Healthy, "delivered");
        Assert.Equal("delivered", (await healthy.NextAsync()).Data);
        Assert.Equal(0, index.LastMatchWork);
    }

    [Fact]
    public async Task The_worst_one_address_can_do_within_the_limits_is_bounded_by_counted_work()
    {
        var options = new HeraldOptions();
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        await using var healthy = await hub.SubscribeAsync([Healthy], anonymous: true);

        // Every template at the limits: as many expressions and matcher states as allowed, no literal prefix (so each
        // is tried on every topic), as many per address as allowed — then one more is refused.
        var streams = new List<SseStream>();
        var perSubscription = 4;
        for (var c = 0; c < options.MaxTemplatesPerIp / perSubscription; c++)
        {
            var templates = Enumerable.Range(c * perSubscription, perSubscription)
                .Select(i => CostliestTemplate(i, options.MaxTemplateExpressions)).ToArray();
            streams.Add(await hub.SubscribeAsync(templates, anonymous: true));
        }

        try
        {
            using (var overQuota = await hub.GetRawAsync(HubRequests.TopicQuery(CostliestTemplate(999, options.MaxTemplateExpressions))))
            {
                Assert.Contains("MaxTemplatesPerIp", await overQuota.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);
            }

            using (var tooManyInOne = await hub.GetRawAsync(HubRequests.TopicQuery(Enumerable.Range(0, options.MaxTemplatesPerSubscription + 1).Select(i => $"https://example.com/{i}/{{id}}").ToArray())))
            {
                Assert.Contains("MaxTemplatesPerSubscription", await tooManyInOne.AssertRefusedAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);
            }

            using (var tooManyExpressions = await hub.GetRawAsync(HubRequests.TopicQuery(AttackTemplate(0, options.MaxTemplateExpressions + 1))))
            {
                Assert.Contains("MaxTemplateExpressions", await tooManyExpressions.AssertRefusedAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);
            }

            using (var tooManyStates = await hub.GetRawAsync(HubRequests.TopicQuery(AttackTemplate(0, options.MaxTemplateExpressions, options.MaxTemplateLength))))
            {
                Assert.Contains("states", await tooManyStates.AssertRefusedAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);
            }

            var index = hub.Services.GetRequiredService<SubscriberIndex>();
            Assert.Equal(options.MaxTemplatesPerIp, index.TemplateCount);

            // The costliest topic a publisher may send: as long as allowed, of characters every expression accepts.
            var longTopic = Healthy + "/" + new string('a', options.MaxTopicLength - Healthy.Length - 1);
            await hub.PublishAsync(longTopic, "long");
            await hub.PublishAsync(Healthy, "delivered");
            Assert.Equal("delivered", (await healthy.NextAsync()).Data);

            // The bound from the limits alone: per template and topic, its prefix and suffix plus, per topic character,
            // one step and at most every one of its matcher states.
            long bound = options.MaxTemplatesPerIp * (options.MaxTemplateLength + ((long)options.MaxTopicLength * (SubscriptionGateLimits.MaxTemplateStates + 1)));
            Assert.Equal(options.MaxTemplatesPerIp, index.LastTemplatesTried);
            Assert.InRange(index.LastMatchWork, 1, bound);

            // The long topic was the previous dispatch; measure it alone.
            var work = MatchWorkOf(index, longTopic);
            Assert.InRange(work, 1, bound);
            output.WriteLine($"worst case of one address at the default limits: {work:N0} steps for a {longTopic.Length}-character topic (bound {bound:N0})");
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Templates_are_tried_only_on_topics_that_start_with_their_literal_prefix()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        await using var books = await hub.SubscribeAsync(["https://example.com/books/{id}"], anonymous: true);
        await using var authors = await hub.SubscribeAsync(["https://example.com/authors/{id}"], anonymous: true);
        var index = hub.Services.GetRequiredService<SubscriberIndex>();

        await hub.PublishAsync("https://example.com/books/1", "book");

        Assert.Equal("book", (await books.NextAsync()).Data);
        Assert.Equal(1, index.LastTemplatesTried);
    }

    [Fact]
    public async Task A_topic_longer_than_the_limit_is_refused_at_publish()
    {
        await using var hub = await TestHub.StartAsync();
        var topic = "https://example.com/" + new string('a', new HeraldOptions().MaxTopicLength);

        using var response = await hub.PostAsync([new("topic", topic), new("data", "x")]);

        Assert.Contains("MaxTopicLength", await response.AssertRefusedAsync(HttpStatusCode.RequestEntityTooLarge), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streams_per_token_subject_are_limited()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxConnectionsPerSubject = 2);
        var alice = Tokens.Sign(TestHub.Key, """{"sub":"alice","mercure":{"subscribe":["*"]}}""");
        var bob = Tokens.Sign(TestHub.Key, """{"sub":"bob","mercure":{"subscribe":["*"]}}""");
        await using var first = await hub.SubscribeAsync([Healthy], alice);
        await using var second = await hub.SubscribeAsync([Healthy], alice);

        using (var third = await hub.GetRawAsync(HubRequests.TopicQuery(Healthy), r => r.Headers.Authorization = new("Bearer", alice)))
        {
            Assert.Contains("MaxConnectionsPerSubject", await third.AssertRefusedAsync(HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);
            Assert.NotNull(third.Headers.RetryAfter);
        }

        await using var other = await hub.SubscribeAsync([Healthy], bob);
        await first.DisposeAsync();
        await WaitUntilAsync(() => hub.Services.GetRequiredService<SubscriberIndex>().Count == 2);
        await using var again = await hub.SubscribeAsync([Healthy], alice);
    }

    /// <summary>What the index does for one update's topic, asked directly while the dispatcher is idle (no publish in flight).</summary>
    private static long MatchWorkOf(SubscriberIndex index, string topic)
    {
        index.CollectMatches([topic], []);
        return index.LastMatchWork;
    }

    /// <summary>A <c>topic</c> query escaping only what must be ('+', '%', '&amp;', '#', space), as an attacker's raw request would.</summary>
    private static string RawTopicQuery(string template) =>
        "topic=" + template.Replace("%", "%25", StringComparison.Ordinal).Replace("+", "%2B", StringComparison.Ordinal)
            .Replace("&", "%26", StringComparison.Ordinal).Replace("#", "%23", StringComparison.Ordinal).Replace(" ", "%20", StringComparison.Ordinal);

    /// <summary>
    /// A template of <paramref name="expressions"/> reserved expansions, no literal prefix or suffix, distinct per
    /// <paramref name="seed"/>; with a <paramref name="length"/>, padded with interior literals of a character every
    /// expression also accepts, so every state can be alive at once: the costliest shape the limits allow.
    /// </summary>
    private static string AttackTemplate(int seed, int expressions, int? length = null)
    {
        var head = "{+v" + seed + "}";
        var gaps = expressions - 1;
        var padding = length is { } total && gaps > 0 ? (total - head.Length - (4 * gaps)) / gaps : 0;
        var builder = new StringBuilder(head);
        for (var i = 0; i < gaps; i++)
        {
            builder.Append('a', padding).Append("{+a}");
        }

        return builder.ToString();
    }

    /// <summary>The attack template padded to the most matcher states the hub accepts.</summary>
    private static string CostliestTemplate(int seed, int expressions)
    {
        var selectors = new Herald.Protocol.TopicSelectorStore();
        for (var length = 4 * SubscriptionGateLimits.MaxTemplateStates; ; length--)
        {
            var template = AttackTemplate(seed, expressions, length);
            if (selectors.Get(template).MatcherStates <= SubscriptionGateLimits.MaxTemplateStates)
            {
                return template;
            }
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(SseStream.WaitLimit);
        while (!condition())
        {
            await Task.Delay(5, limit.Token);
        }
    }
}
