using System.Net.ServerSentEvents;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Auth;

public class PrivateUpdatePropertyTests
{
    private const string Book = "https://example.com/books/1";
    private const string UserBooks = "https://example.com/users/42/books";
    private const string Marker = "https://example.com/marker";

    private static readonly string[] TopicPool =
    [
        "https://example.com/books/1",
        "https://example.com/books/2",
        "https://example.com/books/1/reviews/7",
        "https://example.com/authors/1",
        "https://example.com/users/42/books",
        "urn:example:news",
    ];

    private static readonly string[] SelectorPool =
    [
        "*",
        "https://example.com/books/1",
        "https://example.com/authors/1",
        "urn:example:news",
        "https://example.com/books/{id}",
        "https://example.com/{kind}/1",
        "https://example.com/books/{id}/reviews/{rid}",
        "https://example.com/users/{uid}/books",
        "https://example.com/reviews/{id}",
    ];

    public static TheoryData<string> MatchingGrants => new()
    {
        "https://example.com/books/1",
        "*",
        "https://example.com/books/{id}",
        "https://example.com/users/{uid}/books",
    };

    public static TheoryData<string> NonMatchingSubscribers => new()
    {
        "anonymous",
        "no subscribe claim",
        "empty subscribe claim",
        "other exact topic",
        "other template",
        "grant on a longer path",
    };

    [Theory]
    [MemberData(nameof(MatchingGrants))]
    public async Task A_private_update_reaches_a_subscriber_whose_grant_matches_one_of_its_topics_live(string grant)
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync([Book], hub.SubscriberToken(grant));

        var id = await PublishPrivateBookAsync(hub, "for you");

        var item = await stream.NextAsync();
        Assert.Equal("for you", item.Data);
        Assert.Equal(id, item.EventId);
    }

    [Theory]
    [MemberData(nameof(MatchingGrants))]
    public async Task A_private_update_reaches_a_subscriber_whose_grant_matches_one_of_its_topics_on_replay(string grant)
    {
        await using var hub = await TestHub.StartAsync();
        var before = await hub.PublishAsync(Book, "before");
        var id = await PublishPrivateBookAsync(hub, "for you");

        await using var resumed = await hub.SubscribeAsync([Book], hub.SubscriberToken(grant), lastEventId: before);
        await using var fromEarliest = await hub.SubscribeAsync([Book], hub.SubscriberToken(grant), lastEventId: "earliest");

        Assert.Equal(before, resumed.Response.Headers.GetValues("Last-Event-ID").Single());
        Assert.Equal(id, (await resumed.NextAsync()).EventId);
        Assert.Equal(["before", "for you"], [(await fromEarliest.NextAsync()).Data, (await fromEarliest.NextAsync()).Data]);
    }

    [Theory]
    [MemberData(nameof(NonMatchingSubscribers))]
    public async Task A_private_update_never_reaches_a_subscriber_without_a_matching_grant_live(string who)
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        var token = NonMatchingToken(who);
        await using var stream = await hub.SubscribeAsync(["*"], token, anonymous: token is null);

        var id = await PublishPrivateBookAsync(hub, "not for you");

        Assert.Empty(await hub.EventsBeforeMarkerAsync(stream, Book));
        Assert.DoesNotContain(id, stream.RawText);
        Assert.DoesNotContain("not for you", stream.RawText);
    }

    [Theory]
    [MemberData(nameof(NonMatchingSubscribers))]
    public async Task A_private_update_never_reaches_a_subscriber_without_a_matching_grant_on_replay(string who)
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        var token = NonMatchingToken(who);
        var before = await hub.PublishAsync(Book, "before");
        var id = await PublishPrivateBookAsync(hub, "not for you");
        var after = await hub.PublishAsync(Book, "after");

        await using var resumed = await hub.SubscribeAsync(["*"], token, lastEventId: before, anonymous: token is null);
        var (fromEarliest, earliestRaw) = await hub.ReplayAllAsync(["*"], token, Book, anonymous: token is null);

        Assert.Equal(before, resumed.Response.Headers.GetValues("Last-Event-ID").Single());
        Assert.Equal(after, (await resumed.NextAsync()).EventId);
        Assert.DoesNotContain(id, resumed.RawText);
        Assert.Equal([before, after], fromEarliest.Select(e => e.EventId));
        Assert.DoesNotContain(id, earliestRaw);
        Assert.DoesNotContain("not for you", earliestRaw);
    }

    [Fact]
    public async Task Resuming_from_an_unknown_id_answers_earliest_never_another_updates_id()
    {
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        var id = await PublishPrivateBookAsync(hub, "not for you");

        await using var stream = await hub.SubscribeAsync(["*"], lastEventId: "urn:uuid:unknown", anonymous: true);

        Assert.Equal("earliest", stream.Response.Headers.GetValues("Last-Event-ID").Single());
        Assert.Empty(await hub.EventsBeforeMarkerAsync(stream, Book));
        Assert.DoesNotContain(id, stream.RawText);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Hub_delivers_exactly_what_a_simple_oracle_allows_live_and_replayed(int seed)
    {
        var random = new Random(seed);
        await using var hub = await TestHub.StartAsync(o => o.Anonymous = true);
        var subscribers = Enumerable.Range(0, 8).Select(_ => RandomSubscriber(random)).ToList();
        var live = new List<SseStream>();
        foreach (var subscriber in subscribers)
        {
            live.Add(await hub.SubscribeAsync(subscriber.Selectors, subscriber.Token, anonymous: subscriber.Token is null));
        }

        try
        {
            var updates = new List<PublishedUpdate>();
            for (var i = 0; i < 50; i++)
            {
                updates.Add(await PublishRandomAsync(hub, random, i));
            }

            var pairs = subscribers.SelectMany(s => updates.Where(u => u.Private && s.Selectors.Any(sel => u.Topics.Any(t => Matches(sel, t)))).Select(u => Visible(s, u))).ToList();
            Assert.True(pairs.Count(v => v) >= 5 && pairs.Count(v => !v) >= 5, $"seed {seed} exercises too few private cases");

            var marker = "marker-" + seed;
            await hub.PublishAsync(Marker, marker);

            for (var s = 0; s < subscribers.Count; s++)
            {
                var subscriber = subscribers[s];
                var expected = updates.Where(u => Visible(subscriber, u)).Select(u => u.Id).ToList();
                var resumeAt = random.Next(updates.Count);

                // An id the subscriber may not see resumes exactly as an unknown id: everything, and "earliest".
                var resumable = MaySee(subscriber, updates[resumeAt]);
                var expectedAfterResume = resumable
                    ? updates.Skip(resumeAt + 1).Where(u => Visible(subscriber, u)).Select(u => u.Id).ToList()
                    : expected;
                var describe = $"seed {seed}, subscriber {subscriber}";

                AssertDelivered(expected, await live[s].ReadUntilDataAsync(marker), live[s].RawText, updates, subscriber, describe + " (live)");

                await using var replay = await hub.SubscribeAsync(subscriber.Selectors, subscriber.Token, lastEventId: "earliest", anonymous: subscriber.Token is null);
                AssertDelivered(expected, await replay.ReadUntilDataAsync(marker), replay.RawText, updates, subscriber, describe + " (replay from earliest)");
                Assert.Equal("earliest", replay.Response.Headers.GetValues("Last-Event-ID").Single());

                await using var resumed = await hub.SubscribeAsync(subscriber.Selectors, subscriber.Token, lastEventId: updates[resumeAt].Id, anonymous: subscriber.Token is null);
                AssertDelivered(expectedAfterResume, await resumed.ReadUntilDataAsync(marker), resumed.RawText, updates, subscriber, describe + $" (resumed after update {resumeAt})");
                Assert.Equal(resumable ? updates[resumeAt].Id : "earliest", resumed.Response.Headers.GetValues("Last-Event-ID").Single());
            }
        }
        finally
        {
            foreach (var stream in live)
            {
                await stream.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("*", "https://example.com/books/1", true)]
    [InlineData("https://example.com/books/1", "https://example.com/books/1", true)]
    [InlineData("https://example.com/books/1", "https://example.com/books/2", false)]
    [InlineData("https://example.com/books/{id}", "https://example.com/books/2", true)]
    [InlineData("https://example.com/books/{id}", "https://example.com/books/1/reviews/7", false)]
    [InlineData("https://example.com/{kind}/1", "https://example.com/authors/1", true)]
    [InlineData("https://example.com/{kind}/1", "https://example.com/users/42/books", false)]
    [InlineData("https://example.com/books/{id}", "urn:example:news", false)]
    public void The_oracle_itself_matches_single_segment_templates(string selector, string topic, bool expected) =>
        Assert.Equal(expected, Matches(selector, topic));

    private static async Task<string> PublishPrivateBookAsync(TestHub hub, string data)
    {
        using var response = await hub.PostAsync([new("topic", Book), new("topic", UserBooks), new("data", data), new("private", "on")]);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return body;
    }

    private static string? NonMatchingToken(string who) => who switch
    {
        "anonymous" => null,
        "no subscribe claim" => Tokens.Create(TestHub.Key, publish: ["*"]),
        "empty subscribe claim" => Tokens.Create(TestHub.Key, subscribe: []),
        "other exact topic" => Tokens.Create(TestHub.Key, subscribe: ["https://example.com/books/2"]),
        "other template" => Tokens.Create(TestHub.Key, subscribe: ["https://example.com/authors/{id}"]),
        "grant on a longer path" => Tokens.Create(TestHub.Key, subscribe: ["https://example.com/books/{id}/reviews/{rid}"]),
        _ => throw new ArgumentOutOfRangeException(nameof(who)),
    };

    private static RandomSubscriberSpec RandomSubscriber(Random random)
    {
        var selectors = Pick(random, SelectorPool, random.Next(1, 3)).Append(Marker).ToArray();
        if (random.Next(5) == 0)
        {
            return new RandomSubscriberSpec(selectors, null, []);
        }

        var grants = Pick(random, SelectorPool, random.Next(0, 3));
        return new RandomSubscriberSpec(selectors, Tokens.Create(TestHub.Key, subscribe: grants), grants);
    }

    private static async Task<PublishedUpdate> PublishRandomAsync(TestHub hub, Random random, int index)
    {
        var topics = Pick(random, TopicPool, random.Next(1, 4));
        var isPrivate = random.Next(2) == 0;
        var data = $"update-{index}";
        var fields = topics.Select(t => new KeyValuePair<string, string>("topic", t)).Append(new("data", data)).ToList();
        if (isPrivate)
        {
            fields.Add(new("private", "on"));
        }

        using var response = await hub.PostAsync(fields);
        var id = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, id);
        return new PublishedUpdate(id, data, topics, isPrivate);
    }

    private static void AssertDelivered(List<string> expectedIds, List<SseItem<string>> received, string raw, List<PublishedUpdate> updates, RandomSubscriberSpec subscriber, string describe)
    {
        Assert.True(received.Count > 0 && received[^1].Data.StartsWith("marker-", StringComparison.Ordinal), describe);
        var receivedIds = received.Take(received.Count - 1).Select(e => e.EventId).ToList();
        Assert.True(
            expectedIds.SequenceEqual(receivedIds),
            $"{describe}\nexpected: {string.Join(", ", expectedIds.Select(id => Describe(updates, id)))}\nreceived: {string.Join(", ", receivedIds.Select(id => Describe(updates, id!)))}");
        foreach (var hidden in updates.Where(u => u.Private && !Visible(subscriber, u)))
        {
            Assert.False(raw.Contains(hidden.Id, StringComparison.Ordinal), $"{describe}: the id of hidden {hidden} leaked");
        }
    }

    private static string Describe(List<PublishedUpdate> updates, string id) =>
        updates.FirstOrDefault(u => u.Id == id)?.ToString() ?? id;

    private static bool Visible(RandomSubscriberSpec subscriber, PublishedUpdate update) =>
        subscriber.Selectors.Any(s => update.Topics.Any(t => Matches(s, t))) && MaySee(subscriber, update);

    /// <summary>Authorized to receive the update at all, whatever the selectors: what makes its id a cursor to resume from.</summary>
    private static bool MaySee(RandomSubscriberSpec subscriber, PublishedUpdate update) =>
        !update.Private || subscriber.Grants.Any(g => update.Topics.Any(t => Matches(g, t)));

    /// <summary>The oracle: <c>*</c>, equality, or a template whose <c>{var}</c> parts each stand for one non-empty segment.</summary>
    private static bool Matches(string selector, string topic)
    {
        if (selector == "*" || selector == topic)
        {
            return true;
        }

        if (!selector.Contains('{'))
        {
            return false;
        }

        var patternSegments = selector.Split('/');
        var topicSegments = topic.Split('/');
        if (patternSegments.Length != topicSegments.Length)
        {
            return false;
        }

        for (var i = 0; i < patternSegments.Length; i++)
        {
            var pattern = patternSegments[i];
            var isVariable = pattern.Length > 2 && pattern[0] == '{' && pattern[^1] == '}';
            if (isVariable ? topicSegments[i].Length == 0 || !topicSegments[i].All(IsUnreserved) : pattern != topicSegments[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

    private static string[] Pick(Random random, string[] pool, int count) =>
        pool.OrderBy(_ => random.Next()).Take(count).ToArray();

    private sealed record RandomSubscriberSpec(string[] Selectors, string? Token, string[] Grants)
    {
        public override string ToString() =>
            $"selectors [{string.Join(" ", Selectors)}], {(Token is null ? "anonymous" : $"grants [{string.Join(" ", Grants)}]")}";
    }

    private sealed record PublishedUpdate(string Id, string Data, string[] Topics, bool Private)
    {
        public override string ToString() => $"{Data}{(Private ? " (private)" : "")} [{string.Join(" ", Topics)}]";
    }
}
