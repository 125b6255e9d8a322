using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

public class ReplayTests
{
    [Fact]
    public async Task Resuming_from_a_known_id_replays_what_was_missed_and_echoes_the_id()
    {
        await using var hub = await TestHub.StartAsync();
        var first = await hub.PublishAsync("t", "one");
        await hub.PublishAsync("t", "two");
        await hub.PublishAsync("other", "not mine");
        await hub.PublishAsync("t", "three");

        await using var stream = await hub.SubscribeAsync(["t"], lastEventId: first);
        await hub.PublishAsync("t", "live");

        Assert.Equal(first, Assert.Single(stream.Response.Headers.GetValues("Last-Event-ID")));
        Assert.Equal(["two", "three", "live"], (await stream.ReadUntilDataAsync("live")).Select(e => e.Data));
    }

    [Fact]
    public async Task Earliest_replays_everything_retained()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync("t", "one");
        await hub.PublishAsync("t", "two");

        await using var stream = await hub.SubscribeAsync(["t"], lastEventId: "earliest");

        Assert.Equal("earliest", Assert.Single(stream.Response.Headers.GetValues("Last-Event-ID")));
        Assert.Equal(["one", "two"], (await stream.ReadUntilDataAsync("two")).Select(e => e.Data));
    }

    [Fact]
    public async Task Unknown_id_replays_everything_retained_and_answers_earliest()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.PublishAsync("t", "one");

        await using var stream = await hub.SubscribeAsync(["t"], lastEventId: "never-published");

        Assert.Equal("earliest", Assert.Single(stream.Response.Headers.GetValues("Last-Event-ID")));
        Assert.Equal("one", (await stream.NextAsync()).Data);
    }

    [Fact]
    public async Task Evicted_id_replays_what_is_still_retained()
    {
        await using var hub = await TestHub.StartAsync(o => o.HistoryMaxCount = 2);
        var evicted = await hub.PublishAsync("t", "one");
        await hub.PublishAsync("t", "two");
        await hub.PublishAsync("t", "three");

        await using var stream = await hub.SubscribeAsync(["t"], lastEventId: evicted);

        Assert.Equal("earliest", Assert.Single(stream.Response.Headers.GetValues("Last-Event-ID")));
        Assert.Equal(["two", "three"], (await stream.ReadUntilDataAsync("three")).Select(e => e.Data));
    }

    [Fact]
    public async Task The_lastEventID_query_parameter_resumes_like_the_header()
    {
        await using var hub = await TestHub.StartAsync();
        var first = await hub.PublishAsync("t", "one");
        await hub.PublishAsync("t", "two");

        var request = new HttpRequestMessage(HttpMethod.Get, $"{TestHub.HubPath}?topic=t&lastEventID={Uri.EscapeDataString(first)}");
        request.Headers.Authorization = new("Bearer", hub.SubscriberToken());
        using var response = await hub.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        Assert.Equal(first, Assert.Single(response.Headers.GetValues("Last-Event-ID")));
        string? line;
        while ((line = await reader.ReadLineAsync().WaitAsync(SseStream.WaitLimit)) is not null && !line.StartsWith("data:", StringComparison.Ordinal))
        {
        }

        Assert.Equal("data: two", line);
    }

    [Fact]
    public async Task Reconnecting_while_publishing_continues_loses_and_repeats_nothing()
    {
        const int total = 400;
        await using var hub = await TestHub.StartAsync();
        await using var first = await hub.SubscribeAsync(["t"]);
        var publishing = Task.Run(async () =>
        {
            for (var i = 0; i < total; i++)
            {
                await hub.PublishAsync("t", $"n{i}", id: $"id-{i}");
            }
        });

        var received = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            received.Add((await first.NextAsync()).Data);
        }

        var resumeFrom = $"id-{received.Count - 1}";
        await first.DisposeAsync();

        // Resumes while the publisher is still running, so replay and live delivery overlap.
        await using var second = await hub.SubscribeAsync(["t"], lastEventId: resumeFrom);
        received.AddRange((await second.ReadUntilDataAsync($"n{total - 1}")).Select(e => e.Data));
        await publishing;

        Assert.Equal(Enumerable.Range(0, total).Select(i => $"n{i}"), received);
    }
}
