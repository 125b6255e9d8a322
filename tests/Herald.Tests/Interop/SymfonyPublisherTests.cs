using Herald.Tests.Infrastructure;

namespace Herald.Tests.Interop;

/// <summary>
/// Debian's symfony/mercure 0.x publisher against a hub serving both dialects: the draft's publish checks refuse none of
/// what it sends (alternate topics, <c>private=on</c>, ids, types, retries, any text), and its updates reach 0.x and
/// 1.0 subscribers alike.
/// </summary>
public class SymfonyPublisherTests
{
    [Fact]
    public async Task Every_update_a_symfony_0x_publisher_sends_is_accepted_and_reaches_both_dialects()
    {
        await using var hub = await TestHub.StartAsync(o => { o.Protocol = HeraldProtocol.Both; AccessTokens.Configure(o); });
        var subscriberToken = hub.SubscriberToken("https://example.com/books/{id}");
        await using var v1 = await SseStream.OpenQueryAsync(hub.Client, TestHub.HubPath, "matchURLPattern=" + Uri.EscapeDataString("https://example.com/books/:id") + "&match=" + Uri.EscapeDataString("urn:isbn:978 ünïcödé"), subscriberToken, null);
        await using var legacy = await hub.SubscribeAsync(["https://example.com/books/{id}", "urn:isbn:978 ünïcödé"], subscriberToken);

        SymfonyPublisher.Update[] updates =
        [
            new(["https://example.com/books/1"], "{\"title\":\"plain\"}"),
            new(["urn:isbn:978 ünïcödé", "https://example.com/books/2"], "alternate topics", Id: "urn:uuid:" + Guid.NewGuid(), Type: "book.updated", Retry: 1500),
            new(["https://example.com/books/3"], "private", Private: true),
            new(["https://example.com/books/4"], "line one\nline two\r\n& = + % émoji 🎉"),
            new(["https://example.com/books/5"], ""),
            new(["https://example.com/books/6?x=1&y=2#frag"], "query and fragment", Id: "https://example.com/revisions/6", Type: "message"),
        ];
        var answers = await SymfonyPublisher.PublishAsync(hub.HubUrl, hub.PublisherToken(), updates);

        Assert.Equal(updates.Length, answers.Length);
        Assert.All(answers, a => Assert.DoesNotContain("refused", a, StringComparison.Ordinal));
        Assert.Equal(updates[1].Id, answers[1]);
        Assert.Equal(updates[5].Id, answers[5]);

        foreach (var stream in new[] { v1, legacy })
        {
            for (var i = 0; i < updates.Length; i++)
            {
                // books/6 has a query: the URL pattern (no search component given) still matches, as the 0.x template does not.
                if (i == 5 && stream == legacy)
                {
                    continue;
                }

                var item = await stream.NextAsync();
                Assert.Equal(answers[i], item.EventId);
                Assert.Equal(updates[i].Data.Replace("\r\n", "\n"), item.Data);
                Assert.Equal(updates[i].Type ?? "message", item.EventType);
            }
        }

        Assert.Contains("retry: 1500", legacy.RawText);
        Assert.Contains("retry: 1500", v1.RawText);
    }

    [Fact]
    public async Task A_symfony_update_the_draft_forbids_is_refused_with_its_reason()
    {
        await using var hub = await TestHub.StartAsync(o => { o.Protocol = HeraldProtocol.Both; AccessTokens.Configure(o); });
        var answers = await SymfonyPublisher.PublishAsync(hub.HubUrl, hub.PublisherToken(),
            new(["/.well-known/mercure/subscriptions/x/y"], "forged subscription event"),
            new(["*"], "wildcard"),
            new(["https://example.com/books/1"], "x", Type: "mercure"));
        Assert.All(answers, a => Assert.StartsWith("refused", a, StringComparison.Ordinal));
        Assert.Contains("403", answers[0]);
        Assert.Contains("400", answers[1]);
        Assert.Contains("400", answers[2]);
    }
}
