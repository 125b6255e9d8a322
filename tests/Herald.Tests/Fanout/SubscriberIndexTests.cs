using Herald.Auth;
using Herald.Fanout;
using Herald.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Fanout;

/// <summary>The subscriber index on its own: matching, de-duplication, removal, and closing for shutdown.</summary>
public class SubscriberIndexTests
{
    private readonly TopicSelectorStore _selectors = new();

    [Fact]
    public void A_subscriber_matched_by_several_selectors_and_topics_is_collected_once()
    {
        var index = new SubscriberIndex();
        var many = Subscribe(index, "https://example.com/books/1", "https://example.com/books/{id}", "*");
        var exact = Subscribe(index, "https://example.com/books/1");
        var other = Subscribe(index, "https://example.com/authors/{id}");
        var candidates = new List<Subscriber>();

        index.CollectMatches(["https://example.com/books/1", "https://example.com/books/2"], candidates);

        Assert.Equal(2, candidates.Count);
        Assert.Contains(many, candidates);
        Assert.Contains(exact, candidates);
        Assert.DoesNotContain(other, candidates);

        // The next dispatch collects them again: de-duplication is per update.
        index.CollectMatches(["https://example.com/books/1"], candidates);
        Assert.Equal(2, candidates.Count);
    }

    [Fact]
    public void Removing_forgets_every_selector_and_is_idempotent()
    {
        var index = new SubscriberIndex();
        var subscriber = Subscribe(index, "t", "t/{id}", "*");
        var stranger = SubscriberTests.NewSubscriber();

        index.Remove(subscriber);
        index.Remove(subscriber);
        index.Remove(stranger);

        Assert.Equal(0, index.Count);
        var candidates = new List<Subscriber>();
        index.CollectMatches(["t", "t/1"], candidates);
        Assert.Empty(candidates);
    }

    [Fact]
    public void Two_subscribers_on_one_template_are_both_matched_and_removing_one_keeps_the_other()
    {
        var index = new SubscriberIndex();
        var one = Subscribe(index, "t/{id}");
        var two = Subscribe(index, "t/{id}");
        var candidates = new List<Subscriber>();

        index.Remove(one);
        index.CollectMatches(["t/1"], candidates);

        Assert.Equal([two], candidates);
    }

    [Fact]
    public async Task Closing_for_shutdown_ends_every_registered_subscriber_with_the_farewell_frame()
    {
        var index = new SubscriberIndex();
        var open = Subscribe(index, "t");

        var closed = index.CloseAll(() => SseFrame.RetryHint(2000), "the hub is shutting down");

        Assert.Equal(1, closed);
        Assert.Equal("the hub is shutting down", open.CloseReason);
        Assert.Equal("retry: 2000\n\n", await SubscriberTests.RunToEndAsync(open));
    }

    /// <summary>
    /// A stream admitted before shutdown but registered after the sweep: it must still end with the retry hint, at once,
    /// instead of staying open until the host's shutdown timeout cuts it.
    /// </summary>
    [Fact]
    public async Task A_subscriber_registered_after_the_shutdown_sweep_is_closed_at_once_with_the_farewell_frame()
    {
        var index = new SubscriberIndex();
        var farewells = 0;
        index.CloseAll(() => SseFrame.RetryHint(1000 + Interlocked.Increment(ref farewells)), "the hub is shutting down");

        var late = Subscribe(index, "t");

        Assert.True(late.IsClosed);
        Assert.Equal("the hub is shutting down", late.CloseReason);
        Assert.Equal("retry: 1001\n\n", await SubscriberTests.RunToEndAsync(late));

        // Still registered like any subscriber, so the endpoint's own removal stays the one way out of the index.
        Assert.Equal(1, index.Count);
        index.Remove(late);
        Assert.Equal(0, index.Count);
    }

    private Subscriber Subscribe(SubscriberIndex index, params string[] selectors)
    {
        var subscriber = new Subscriber(selectors.Select(_selectors.Get).ToArray(), HeraldClaims.Anonymous, 100, 1 << 20, new FakeTimeProvider());
        index.Add(subscriber);
        return subscriber;
    }
}
