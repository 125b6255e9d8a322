using System.Collections.Concurrent;
using Herald.Cli.Tests.Infrastructure;
using Herald.Client;
using Herald.Tests.Infrastructure;

namespace Herald.Client.Tests;

/// <summary>
/// Short-lived tokens against the real <c>herald serve</c>: the hub announces the close before each token's exp and
/// the client replaces the stream under a new token, resuming from the last id.
/// </summary>
public sealed class TokenRenewalTests : IAsyncLifetime
{
    private const string Topic = "https://example.com/books/1";
    private const int Renewals = 5;

    private readonly TempDirectory _directory = new();
    private readonly RecordingHandler _recorder = new();
    private readonly HttpClient _publisherHttp = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private HeraldProcess? _hub;

    [Fact]
    public async Task Tokens_living_three_seconds_are_renewed_on_the_hubs_notice_five_times_at_20_updates_a_second_with_nothing_lost_repeated_or_sent_without_a_token()
    {
        var (process, baseAddress) = await HeraldProcess.ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "memory"], _directory.Path);
        _hub = process;
        var hub = new Uri(baseAddress, "/.well-known/mercure");
        var expiries = new ConcurrentQueue<DateTimeOffset>();
        using var subscriberHttp = new HttpClient(_recorder) { Timeout = Timeout.InfiniteTimeSpan };
        var subscriber = new HeraldClient(subscriberHttp, new HeraldClientOptions
        {
            HubUrl = hub,

            // exp is whole seconds: each token lives 2 to 3 s, and the hub announces the close half of that before.
            TokenProvider = _ =>
            {
                var exp = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3);
                expiries.Enqueue(exp);
                return ValueTask.FromResult(Tokens.Create(HeraldProcess.Key, subscribe: [Topic], expires: exp));
            },
        });
        var publisher = new HeraldClient(_publisherHttp, new HeraldClientOptions { HubUrl = hub, Token = Tokens.Create(HeraldProcess.Key, publish: ["*"]) });
        var notices = 0;
        var reconnects = new ConcurrentQueue<Exception?>();
        var options = new SubscribeOptions
        {
            OnTokenExpiring = _ => Interlocked.Increment(ref notices),
            OnReconnecting = (why, _) => reconnects.Enqueue(why),
        };
        var start = await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "start", Private = true }, _timeout.Token);
        await using var updates = subscriber.SubscribeAsync([Topic], start, options, _timeout.Token).GetAsyncEnumerator();
        var first = updates.MoveNextAsync().AsTask();

        // 20 private updates a second until five renewals have been made and the fifth token has expired.
        var published = new List<string>();
        using var stop = new CancellationTokenSource();
        var publishing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                published.Add(await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = $"n{published.Count}", Private = true }, _timeout.Token));
                await Task.Delay(50, _timeout.Token);
            }
        });
        var received = new List<string>();
        Assert.True(await first);
        received.Add(updates.Current.Id!);
        while (_recorder.Streams.Count <= Renewals || DateTimeOffset.UtcNow <= expiries.ElementAt(Renewals - 1))
        {
            Assert.True(await updates.MoveNextAsync());
            received.Add(updates.Current.Id!);
        }

        await stop.CancelAsync();
        await publishing;
        while (received[^1] != published[^1])
        {
            Assert.True(await updates.MoveNextAsync());
            received.Add(updates.Current.Id!);
        }

        Assert.True(published.Count >= 50, $"only {published.Count} updates published");
        Assert.Equal(published, received);
        Assert.True(notices >= Renewals, $"{notices} notices");
        Assert.All(_recorder.Streams, s => Assert.StartsWith("Bearer ey", s.Authorization));
        Assert.All(_recorder.Streams, s => Assert.Equal(200, s.Status));

        // Every stream was replaced on the notice: none ended at exp, which would have gone through the backoff.
        Assert.Empty(reconnects);
    }

    [Fact]
    public async Task A_token_provider_that_answers_no_token_is_a_failed_attempt_not_an_anonymous_request()
    {
        var (process, baseAddress) = await HeraldProcess.ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "memory", "--anonymous"], _directory.Path);
        _hub = process;
        var hub = new Uri(baseAddress, "/.well-known/mercure");
        using var subscriberHttp = new HttpClient(_recorder) { Timeout = Timeout.InfiniteTimeSpan };
        var calls = 0;
        var subscriber = new HeraldClient(subscriberHttp, new HeraldClientOptions
        {
            HubUrl = hub,
            BackoffBase = TimeSpan.FromMilliseconds(50),
            TokenProvider = _ => ValueTask.FromResult(Interlocked.Increment(ref calls) <= 2 ? "" : Tokens.Create(HeraldProcess.Key, subscribe: [Topic])),
        });
        var publisher = new HeraldClient(_publisherHttp, new HeraldClientOptions { HubUrl = hub, Token = Tokens.Create(HeraldProcess.Key, publish: ["*"]) });
        var failures = new ConcurrentQueue<string?>();
        var id = await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "private", Private = true }, _timeout.Token);

        // The hub admits anonymous subscribers: a request without the token would be answered, minus the private update.
        await using var updates = subscriber.SubscribeAsync([Topic], "earliest", new SubscribeOptions { OnReconnecting = (why, _) => failures.Enqueue(why?.Message) }, _timeout.Token).GetAsyncEnumerator();
        Assert.True(await updates.MoveNextAsync());

        Assert.Equal(id, updates.Current.Id);
        Assert.Equal(3, calls);
        Assert.Equal(["the token provider returned no token: nothing is sent without one", "the token provider returned no token: nothing is sent without one"], failures);
        Assert.All(_recorder.Streams, s => Assert.StartsWith("Bearer ey", s.Authorization));
        Assert.Single(_recorder.Streams);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        _publisherHttp.Dispose();
        _timeout.Dispose();
        _directory.Dispose();
    }

    /// <summary>Every request the subscriber sends the hub, with its Authorization header and the hub's status.</summary>
    private sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public ConcurrentQueue<(string Authorization, int Status)> StreamsQueue { get; } = new();

        public IReadOnlyList<(string Authorization, int Status)> Streams => [.. StreamsQueue];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            StreamsQueue.Enqueue((request.Headers.Authorization?.ToString() ?? "", (int)response.StatusCode));
            return response;
        }
    }
}
