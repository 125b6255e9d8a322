using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Auth;
using Herald.Fanout;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Fanout;

/// <summary>
/// One lifetime rule, on fake time: a token is refused once <c>exp</c> ≤ now (publisher or subscriber, cached or not),
/// a stream closes at <c>exp</c> exactly, and is told beforehand by a named event that does not move the cursor.
/// </summary>
public class TokenExpiryTests
{
    private const string Topic = "https://example.com/books/1";
    private const string ExpiringEvent = "herald.token-expiring";

    [Fact]
    public async Task A_subscribe_whose_token_expires_this_instant_is_refused()
    {
        await using var hub = await StartAsync();
        var token = Tokens.Create(TestHub.Key, subscribe: ["*"], expires: hub.Time!.GetUtcNow());

        using var response = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var reason = await response.AssertRefusedAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("expired", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cached_subscriber_token_is_refused_from_its_exp_on()
    {
        await using var hub = await StartAsync();
        var token = Tokens.Create(TestHub.Key, subscribe: ["*"], expires: hub.Time!.GetUtcNow().AddSeconds(60));
        await using (await hub.SubscribeAsync([Topic], token))
        {
        }

        hub.Time.Advance(TimeSpan.FromSeconds(60));
        using var response = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await response.AssertRefusedAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_cached_publisher_token_is_refused_from_its_exp_on()
    {
        await using var hub = await StartAsync();
        var token = Tokens.Create(TestHub.Key, publish: ["*"], expires: hub.Time!.GetUtcNow().AddSeconds(5));
        using (var first = await hub.PostAsync([new("topic", Topic), new("data", "in time")], token))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        hub.Time.Advance(TimeSpan.FromSeconds(5));
        using var late = await hub.PostAsync([new("topic", Topic), new("data", "too late")], token);

        var reason = await late.AssertRefusedAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("expired", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_skew_still_forgives_an_issuer_clock_that_runs_ahead_on_nbf()
    {
        await using var hub = await StartAsync();
        var token = Tokens.Create(TestHub.Key, publish: ["*"], notBefore: hub.Time!.GetUtcNow().AddSeconds(20), expires: hub.Time.GetUtcNow().AddMinutes(5));

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_stream_is_told_ten_seconds_before_exp_with_a_named_event_without_an_id_and_closed_at_exp()
    {
        await using var hub = await StartAsync();
        var expires = hub.Time!.GetUtcNow().AddSeconds(60);
        var token = Tokens.Create(TestHub.Key, subscribe: ["*"], expires: expires);
        await hub.PublishAsync(Topic, "before");
        await using var stream = await hub.SubscribeAsync([Topic], token, lastEventId: "earliest");
        Assert.Equal("before", (await stream.NextAsync()).Data);

        hub.Time.Advance(TimeSpan.FromSeconds(49));
        Assert.DoesNotContain(await hub.EventsBeforeMarkerAsync(stream, Topic), e => e.EventType == ExpiringEvent);

        hub.Time.Advance(TimeSpan.FromSeconds(1));
        var notice = await stream.NextAsync();
        Assert.Equal(ExpiringEvent, notice.EventType);
        using (var data = JsonDocument.Parse(notice.Data))
        {
            Assert.Equal(expires.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), data.RootElement.GetProperty("expires").GetString());
            Assert.Equal(10, data.RootElement.GetProperty("secondsLeft").GetDouble());
        }

        // No id line: EventSource keeps its last event id, so a reconnect still resumes after the last update.
        var block = Regex.Match(stream.RawText, @"(?:^|\n\n)(event: herald\.token-expiring\n(?:[^\n]+\n)*)\n");
        Assert.True(block.Success, stream.RawText);
        Assert.DoesNotContain("id:", block.Groups[1].Value, StringComparison.Ordinal);
        Assert.DoesNotContain("retry:", block.Groups[1].Value, StringComparison.Ordinal);

        // Still open up to the last instant before exp.
        hub.Time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        await hub.PublishAsync(Topic, "private, just in time", isPrivate: true);
        Assert.Equal("private, just in time", (await stream.NextAsync()).Data);
        Assert.False(stream.Completion.IsCompleted);

        hub.Time.Advance(TimeSpan.FromMilliseconds(1));
        await stream.Completion.WaitAsync(SseStream.WaitLimit);
        await hub.PublishAsync(Topic, "private, after exp", isPrivate: true);
        Assert.DoesNotContain("after exp", stream.RawText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_lived_token_is_told_half_its_remaining_lifetime_before_exp()
    {
        await using var hub = await StartAsync();
        var token = Tokens.Create(TestHub.Key, subscribe: ["*"], expires: hub.Time!.GetUtcNow().AddSeconds(6));
        await using var stream = await hub.SubscribeAsync([Topic], token);

        hub.Time.Advance(TimeSpan.FromSeconds(3) - TimeSpan.FromMilliseconds(1));
        Assert.DoesNotContain(await hub.EventsBeforeMarkerAsync(stream, Topic), e => e.EventType == ExpiringEvent);

        hub.Time.Advance(TimeSpan.FromMilliseconds(1));
        var notice = await stream.NextAsync();
        Assert.Equal(ExpiringEvent, notice.EventType);
        using var data = JsonDocument.Parse(notice.Data);
        Assert.Equal(3, data.RootElement.GetProperty("secondsLeft").GetDouble());
    }

    [Fact]
    public async Task A_long_poll_ends_at_its_tokens_exp_and_the_notice_does_not_wake_it()
    {
        await using var hub = await StartAsync();
        var token = Tokens.Create(TestHub.Key, subscribe: ["*"], expires: hub.Time!.GetUtcNow().AddSeconds(30));
        var request = new HttpRequestMessage(HttpMethod.Get, TestHub.HubPath + "/poll?topic=t&timeout=60");
        request.Headers.Authorization = new("Bearer", token);
        var polling = hub.Client.SendAsync(request);
        await WaitForSubscribersAsync(hub, 1);

        hub.Time.Advance(TimeSpan.FromSeconds(20));
        Assert.False(polling.IsCompleted, "the expiry notice answered the poll");

        hub.Time.Advance(TimeSpan.FromSeconds(10));
        using var response = await polling.WaitAsync(SseStream.WaitLimit);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"updates\":[]", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Frames_queued_before_exp_but_not_yet_written_are_not_written_after_it()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var claims = new HeraldClaims([], [], null, time.GetUtcNow().AddSeconds(30));
        var subscriber = SubscriberTests.NewSubscriber(claims: claims, time: time);
        subscriber.TryEnqueue(SubscriberTests.Frame(1, "queued while valid"));

        time.Advance(TimeSpan.FromSeconds(30));
        var written = await SubscriberTests.RunToEndAsync(subscriber);

        Assert.True(subscriber.IsClosed);
        Assert.Contains("expired", subscriber.CloseReason, StringComparison.Ordinal);
        Assert.DoesNotContain("queued while valid", written, StringComparison.Ordinal);
    }

    [Fact]
    public void The_notice_and_the_close_are_timers_of_the_subscriber_itself_not_a_sweep()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var claims = new HeraldClaims([], [], null, time.GetUtcNow().AddSeconds(100));
        var subscriber = SubscriberTests.NewSubscriber(claims: claims, time: time);

        time.Advance(TimeSpan.FromSeconds(90) - TimeSpan.FromTicks(1));
        Assert.False(subscriber.IsClosed);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.False(subscriber.IsClosed);
        time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.False(subscriber.IsClosed);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.True(subscriber.IsClosed);
    }

    /// <summary>Timers take at most about 49 days; a token valid for a year (Mercure 0.x style) must still subscribe.</summary>
    [Fact]
    public async Task A_token_valid_for_a_year_subscribes_on_the_real_clock()
    {
        await using var hub = await TestHub.StartAsync();
        var token = Tokens.Create(TestHub.Key, subscribe: ["*"], expires: DateTimeOffset.UtcNow.AddDays(365));

        await using var stream = await hub.SubscribeAsync([Topic], token);
        await hub.PublishAsync(Topic, "still fine");

        Assert.Equal("still fine", (await stream.NextAsync()).Data);
    }

    [Fact]
    public void A_token_valid_for_a_year_is_still_told_and_closed_on_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var expires = time.GetUtcNow().AddDays(365);
        var subscriber = SubscriberTests.NewSubscriber(claims: new HeraldClaims([], [], null, expires), time: time);

        for (var day = 0; day < 364; day++)
        {
            time.Advance(TimeSpan.FromDays(1));
        }

        time.Advance(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.False(subscriber.IsClosed);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.False(subscriber.IsClosed);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(subscriber.IsClosed);
    }

    [Fact]
    public void A_subscriber_closed_before_exp_keeps_its_own_close_reason_when_exp_passes()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var claims = new HeraldClaims([], [], null, time.GetUtcNow().AddSeconds(100));
        var subscriber = SubscriberTests.NewSubscriber(claims: claims, time: time);

        subscriber.Disconnect("connection ended");
        time.Advance(TimeSpan.FromSeconds(200));

        Assert.Equal("connection ended", subscriber.CloseReason);
    }

    /// <summary>A hub on fake time set to a whole second, so a token's <c>exp</c> (whole seconds) lands exactly.</summary>
    private static async Task<TestHub> StartAsync()
    {
        var hub = await TestHub.StartAsync(o => o.ClockSkew = TimeSpan.FromSeconds(30), fakeTime: true);
        var ticks = hub.Time!.GetUtcNow().UtcTicks % TimeSpan.TicksPerSecond;
        if (ticks != 0)
        {
            hub.Time.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - ticks));
        }

        return hub;
    }

    private static async Task WaitForSubscribersAsync(TestHub hub, int count)
    {
        var index = hub.Services.GetRequiredService<SubscriberIndex>();
        using var limit = new CancellationTokenSource(SseStream.WaitLimit);
        while (index.Count < count)
        {
            // Real-time yield while checking a condition, not a sleep standing in for one.
            await Task.Delay(5, limit.Token);
        }
    }
}
