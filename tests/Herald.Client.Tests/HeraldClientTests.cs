using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Herald.Cli.Tests.Infrastructure;
using Herald.Client;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Herald.Client.Tests;

/// <summary>The .NET client against the real <c>herald serve</c> process (and, for stalls, a server that goes silent).</summary>
public sealed class HeraldClientTests : IAsyncLifetime
{
    private const string Topic = "https://example.com/books/1";

    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _processes = [];
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Published_updates_arrive_in_order_with_their_fields()
    {
        var hub = await ServeAsync();
        var subscriber = Client(hub, Tokens.Create(HeraldProcess.Key, subscribe: ["*"]));
        var publisher = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["*"]));
        await using var updates = subscriber.SubscribeAsync([Topic], cancellationToken: _timeout.Token).GetAsyncEnumerator();
        var first = updates.MoveNextAsync().AsTask();

        // The subscription connects lazily; publish until the first update shows it is live.
        var ids = new List<string>();
        while (!first.IsCompleted)
        {
            ids.Add(await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = $"n{ids.Count}", Type = "book" }, _timeout.Token));
            await Task.WhenAny(first, Task.Delay(50, _timeout.Token));
        }

        Assert.True(await first);
        var seen = new List<HeraldUpdate> { updates.Current };
        var last = await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "last", Private = true }, _timeout.Token);
        while (seen[^1].Id != last && await updates.MoveNextAsync())
        {
            seen.Add(updates.Current);
        }

        Assert.Equal("book", seen[0].Type);
        Assert.Equal("last", seen[^1].Data);
        Assert.Equal(seen.Select(u => u.Id).Distinct().Count(), seen.Count);
        Assert.Equal(ids.Append(last).SkipWhile(id => id != seen[0].Id), seen.Select(u => u.Id));
    }

    [Fact]
    public async Task Protocol_v1_subscribes_with_1_0_matchers_and_resumes_from_an_id()
    {
        // A 1.0 hub needs its resource identifier and an issuer (configuration only); 0.x tokens keep working beside.
        var config = Path.Combine(_directory.Path, "v1.json");
        await File.WriteAllTextAsync(config, """
            {"Herald": {"Resource": "https://hub.example.com/.well-known/mercure",
             "Issuers": [{"Id": "https://auth.example.com", "SubscriberKeys": [{"Key": "client-issuer-key-that-is-long-enough-for-hs256!"}]}]}}
            """, _timeout.Token);
        var hub = await ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "memory", "--protocol", "both", "--config", config]);
        var subscriber = Client(hub, Tokens.Create(HeraldProcess.Key, subscribe: ["*"]));
        var publisher = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["*"]));
        var start = await publisher.PublishAsync(new HeraldPublication { Topics = ["https://example.com/books/0"], Data = "start" }, _timeout.Token);
        await publisher.PublishAsync(new HeraldPublication { Topics = ["https://example.com/authors/1"], Data = "not matched" }, _timeout.Token);
        await publisher.PublishAsync(new HeraldPublication { Topics = ["https://example.com/books/1"], Data = "one", Private = true }, _timeout.Token);

        var pattern = new SubscribeOptions { Protocol = MercureProtocol.V1, MatchType = MatchType.UrlPattern };
        await using (var updates = subscriber.SubscribeAsync(["https://example.com/books/:id"], start, pattern, _timeout.Token).GetAsyncEnumerator())
        {
            Assert.True(await updates.MoveNextAsync());
            Assert.Equal("one", updates.Current.Data);
        }

        // Exact matchers are byte for byte: the 0.x template text names only the literal topic.
        await publisher.PublishAsync(new HeraldPublication { Topics = ["https://example.com/books/{id}"], Data = "literal" }, _timeout.Token);
        await using (var exact = subscriber.SubscribeAsync(["https://example.com/books/{id}"], start, new SubscribeOptions { Protocol = MercureProtocol.V1 }, _timeout.Token).GetAsyncEnumerator())
        {
            Assert.True(await exact.MoveNextAsync());
            Assert.Equal("literal", exact.Current.Data);
        }

        // A hub that speaks only 0.x refuses for good, with its reason.
        var legacy = await ServeAsync();
        var refused = Client(legacy, Tokens.Create(HeraldProcess.Key, subscribe: ["*"]));
        var error = await Assert.ThrowsAsync<HeraldException>(async () =>
        {
            await foreach (var _ in refused.SubscribeAsync(["t"], null, pattern, _timeout.Token))
            {
            }
        });
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("Mercure 0.x only", error.Message, StringComparison.Ordinal);

        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in subscriber.SubscribeAsync(["t"], null, new SubscribeOptions { MatchType = MatchType.UrlPattern }, _timeout.Token))
            {
            }
        });
    }

    [Fact]
    public async Task A_subscription_resumes_after_the_hub_restarts_on_the_same_address_without_loss_or_duplicates()
    {
        var port = FreePort();
        var store = "sqlite:" + Path.Combine(_directory.Path, "history.db");
        string[] serve = ["--listen", $"127.0.0.1:{port}", "--jwt-key", HeraldProcess.Key, "--store", store];
        var hub = await ServeAsync(serve, fixedAddress: true);
        var subscriber = Client(hub, Tokens.Create(HeraldProcess.Key, subscribe: ["*"]), backoffBase: TimeSpan.FromMilliseconds(100));
        var publisher = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["*"]));
        var before = await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "before" }, _timeout.Token);
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var updates = subscriber.SubscribeAsync([Topic], "earliest", new SubscribeOptions { OnReconnecting = (_, _) => reconnecting.TrySetResult() }, _timeout.Token).GetAsyncEnumerator();
        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(before, updates.Current.Id);

        // The iterator reconnects while it is being awaited: keep one MoveNextAsync pending through the restart.
        var next = updates.MoveNextAsync().AsTask();
        _processes[^1].Terminate();
        await _processes[^1].WaitForExitAsync();
        await reconnecting.Task.WaitAsync(_timeout.Token);
        await ServeAsync(serve, fixedAddress: true);
        var afterOne = await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "after one" }, _timeout.Token);
        var afterTwo = await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "after two" }, _timeout.Token);

        Assert.True(await next);
        Assert.Equal(afterOne, updates.Current.Id);
        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(afterTwo, updates.Current.Id);
    }

    [Fact]
    public async Task Follow_holds_the_current_value_and_resumes_from_the_snapshot_cursor_after_a_restart_without_a_gap()
    {
        var port = FreePort();
        var store = "sqlite:" + Path.Combine(_directory.Path, "retained.db");

        // One update of history: the latest value's own id is soon gone from it, so only the snapshot's cursor resumes without a gap.
        string[] serve = ["--listen", $"127.0.0.1:{port}", "--jwt-key", HeraldProcess.Key, "--store", store, "--history-max-count", "1"];
        var hub = await ServeAsync(serve, fixedAddress: true);
        var publisher = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["*"]));
        await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "{\"v\":1}", Retain = true }, _timeout.Token);
        await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "{\"v\":2}", Retain = true }, _timeout.Token);
        await publisher.PublishAsync(new HeraldPublication { Topics = ["https://example.com/other"], Data = "evicts v2 from history" }, _timeout.Token);

        var gaps = 0;
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriber = Client(hub, Tokens.Create(HeraldProcess.Key, subscribe: ["*"]), backoffBase: TimeSpan.FromMilliseconds(100));
        var values = System.Threading.Channels.Channel.CreateUnbounded<int>();
        await using var current = subscriber.Follow(Topic, data => JsonDocument.Parse(data).RootElement.GetProperty("v").GetInt32(), new SubscribeOptions
        {
            OnGap = _ => Interlocked.Increment(ref gaps),
            OnReconnecting = (_, _) => reconnecting.TrySetResult(),
        });
        current.Changed += value => values.Writer.TryWrite(value);
        Assert.Equal(2, await current.FirstValueAsync(_timeout.Token));
        Assert.Equal(2, current.Value);

        _processes[^1].Terminate();
        await _processes[^1].WaitForExitAsync();
        await reconnecting.Task.WaitAsync(_timeout.Token);
        await ServeAsync(serve, fixedAddress: true);
        await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "{\"v\":3}", Retain = true }, _timeout.Token);

        // The handler may have been attached after the first value: it sees 2 at most once, then 3.
        var seen = new List<int>();
        while (seen.LastOrDefault() != 3)
        {
            seen.Add(await values.Reader.ReadAsync(_timeout.Token));
        }

        Assert.True(seen.SequenceEqual([3]) || seen.SequenceEqual([2, 3]), string.Join(",", seen));
        Assert.Equal(3, current.Value);

        // Resumed from the snapshot's cursor: v2's own id was gone from history, and resuming from it would be a gap.
        Assert.Equal(0, gaps);
    }

    [Fact]
    public async Task A_stream_that_goes_silent_is_abandoned_after_three_heartbeats_and_resumed_from_the_last_id()
    {
        var resumedFromTheLastId = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stalling = await StartStallingServerAsync(lastEventId =>
        {
            // On a loaded machine the first stream may be abandoned before its first event arrives: wait for the
            // connection that resumes from the id received, however many came before it.
            if (lastEventId == "stalled-1")
            {
                resumedFromTheLastId.TrySetResult();
            }
        });
        var client = new HeraldClient(_http, new HeraldClientOptions
        {
            HubUrl = new Uri(stalling.Urls.First() + "/.well-known/mercure"),
            Heartbeat = TimeSpan.FromMilliseconds(200),
            BackoffBase = TimeSpan.FromMilliseconds(50),
        });
        var reconnectReasons = new List<Exception?>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);

        await using var updates = client.SubscribeAsync([Topic], options: new SubscribeOptions { OnReconnecting = (e, _) => { lock (reconnectReasons) { reconnectReasons.Add(e); } } }, cancellationToken: stop.Token).GetAsyncEnumerator();
        Assert.True(await updates.MoveNextAsync());
        Assert.Equal("stalled-1", updates.Current.Id);

        // Awaiting the next update is what drives the watchdog and the reconnection.
        var pending = updates.MoveNextAsync().AsTask();
        try
        {
            await resumedFromTheLastId.Task.WaitAsync(_timeout.Token);
            lock (reconnectReasons)
            {
                Assert.Contains(reconnectReasons, e => e?.Message.Contains("three heartbeats", StringComparison.Ordinal) == true);
            }
        }
        finally
        {
            // An async iterator can't be disposed mid-MoveNextAsync: end the pending call first, also when an assertion
            // failed (its disposal would otherwise hide the failure behind a NotSupportedException).
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        }
    }

    [Fact]
    public async Task A_refused_token_is_refreshed_once_and_a_second_refusal_ends_with_the_hubs_reason()
    {
        var hub = await ServeAsync();
        var good = Tokens.Create(HeraldProcess.Key, subscribe: ["*"]);
        var forged = Tokens.Create("another-key-that-is-also-long-enough-for-hs256", subscribe: ["*"]);
        var calls = 0;
        var refreshing = new HeraldClient(_http, new HeraldClientOptions
        {
            HubUrl = hub,
            TokenProvider = _ => ValueTask.FromResult(Interlocked.Increment(ref calls) == 1 ? forged : good),
        });
        var publisher = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["*"]));
        await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "replayed" }, _timeout.Token);

        await using (var updates = refreshing.SubscribeAsync([Topic], "earliest", cancellationToken: _timeout.Token).GetAsyncEnumerator())
        {
            Assert.True(await updates.MoveNextAsync());
            Assert.Equal("replayed", updates.Current.Data);
            Assert.Equal(2, calls);
        }

        var alwaysForged = 0;
        var doomed = new HeraldClient(_http, new HeraldClientOptions
        {
            HubUrl = hub,
            TokenProvider = _ => ValueTask.FromResult(Interlocked.Increment(ref alwaysForged) > 0 ? forged : good),
        });
        var refused = await Assert.ThrowsAsync<HeraldException>(async () =>
        {
            await foreach (var _ in doomed.SubscribeAsync([Topic], cancellationToken: _timeout.Token))
            {
            }
        });

        Assert.Equal(401, refused.StatusCode);
        Assert.Contains("signature", refused.Message);
        Assert.Equal(2, alwaysForged);
    }

    [Fact]
    public async Task Publish_refusals_carry_the_hubs_status_and_reason()
    {
        var hub = await ServeAsync();
        var narrow = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["https://example.com/other"]));
        var broad = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["*"]));

        var forbidden = await Assert.ThrowsAsync<HeraldException>(() => narrow.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "x" }, _timeout.Token));
        var invalid = await Assert.ThrowsAsync<HeraldException>(() => broad.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "x", Id = "#bad" }, _timeout.Token));
        await broad.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "one", Id = "fixed" }, _timeout.Token);
        var conflict = await Assert.ThrowsAsync<HeraldException>(() => broad.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "two", Id = "fixed" }, _timeout.Token));

        Assert.Equal((403, true), (forbidden.StatusCode, forbidden.Message.Contains(Topic, StringComparison.Ordinal)));
        Assert.Equal(400, invalid.StatusCode);
        Assert.Contains("'#'", invalid.Message);
        Assert.Equal(409, conflict.StatusCode);
    }

    [Fact]
    public async Task Job_helpers_publish_private_updates_in_the_shared_schema()
    {
        var hub = await ServeAsync();
        var worker = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["jobs/{id}"]));
        var owner = Client(hub, Tokens.Create(HeraldProcess.Key, subscribe: ["jobs/{id}"]));
        var stranger = Client(hub, Tokens.Create(HeraldProcess.Key, subscribe: ["jobs/other"]));

        await worker.ReportProgressAsync("export 7", 40, "4 of 10", cancellationToken: _timeout.Token);
        await worker.CompleteAsync("export 7", new { url = "/exports/7.csv" }, cancellationToken: _timeout.Token);
        await worker.FailAsync("import/3", "disk full", cancellationToken: _timeout.Token);
        var byType = new Dictionary<string, JsonElement>();
        await using (var updates = owner.SubscribeAsync(["jobs/export%207", "jobs/import%2F3"], "earliest", cancellationToken: _timeout.Token).GetAsyncEnumerator())
        {
            while (byType.Count < 3 && await updates.MoveNextAsync())
            {
                byType[updates.Current.Type] = JsonDocument.Parse(updates.Current.Data).RootElement;
            }
        }

        Assert.Equal(("export 7", 40.0, "4 of 10"), (byType["progress"].GetProperty("jobId").GetString(), byType["progress"].GetProperty("percent").GetDouble(), byType["progress"].GetProperty("message").GetString()));
        Assert.Equal("/exports/7.csv", byType["completed"].GetProperty("result").GetProperty("url").GetString());
        Assert.Equal(("import/3", "disk full"), (byType["failed"].GetProperty("jobId").GetString(), byType["failed"].GetProperty("error").GetString()));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => worker.ReportProgressAsync("export 7", 120));

        // Private: a token without a matching grant sees none of them, even replayed.
        var marker = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["*"]));
        await marker.PublishAsync(new HeraldPublication { Topics = ["jobs/export%207"], Data = "public marker" }, _timeout.Token);
        await using var strangers = stranger.SubscribeAsync(["jobs/export%207"], "earliest", cancellationToken: _timeout.Token).GetAsyncEnumerator();
        Assert.True(await strangers.MoveNextAsync());
        Assert.Equal("public marker", strangers.Current.Data);
    }

    [Fact]
    public async Task The_expiry_notice_is_a_callback_not_an_update_and_the_stream_ends_at_exp()
    {
        var hub = await ServeAsync();
        var expires = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 4);
        var subscriber = Client(hub, Tokens.Create(HeraldProcess.Key, subscribe: ["*"], expires: expires));
        var publisher = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["*"]));
        var notice = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new SubscribeOptions { OnTokenExpiring = at => notice.TrySetResult(at) };
        var before = await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "before" }, _timeout.Token);
        await using var updates = subscriber.SubscribeAsync([Topic], "earliest", options, _timeout.Token).GetAsyncEnumerator();
        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(before, updates.Current.Id);

        // Nothing else is published: the next step can only end with the refusal of the expired token on reconnect.
        var next = updates.MoveNextAsync().AsTask();
        Assert.Equal(expires, await notice.Task.WaitAsync(_timeout.Token));
        var refused = await Assert.ThrowsAsync<HeraldException>(async () => await next);
        Assert.Equal(401, refused.StatusCode);
        Assert.True(DateTimeOffset.UtcNow >= expires);
    }

    [Fact]
    public async Task A_subscription_resumes_from_a_non_ascii_id()
    {
        var hub = await ServeAsync();
        var subscriber = Client(hub, Tokens.Create(HeraldProcess.Key, subscribe: ["*"]));
        var publisher = Client(hub, Tokens.Create(HeraldProcess.Key, publish: ["*"]));
        await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "one", Id = "é-1" }, _timeout.Token);
        await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = "two", Id = "日本-2" }, _timeout.Token);
        string? gap = null;

        await using var updates = subscriber.SubscribeAsync([Topic], "é-1", new SubscribeOptions { OnGap = id => gap = id }, _timeout.Token).GetAsyncEnumerator();

        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(("日本-2", "two"), (updates.Current.Id, updates.Current.Data));
        Assert.Null(gap);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        _http.Dispose();
        _timeout.Dispose();
        _directory.Dispose();
    }

    private HeraldClient Client(Uri hub, string token, TimeSpan? backoffBase = null) => new(_http, new HeraldClientOptions
    {
        HubUrl = hub,
        Token = token,
        BackoffBase = backoffBase ?? HeraldClientOptions.DefaultBackoffBase,
    });

    private async Task<Uri> ServeAsync(string[]? args = null, bool fixedAddress = false)
    {
        args ??= ["--jwt-key", HeraldProcess.Key, "--store", "memory"];
        HeraldProcess process;
        Uri baseAddress;
        if (fixedAddress)
        {
            process = HeraldProcess.Start(["serve", .. args], _directory.Path);
            var line = await process.WaitForLineAsync(l => l.StartsWith("Herald listening on ", StringComparison.Ordinal));
            baseAddress = new Uri(line["Herald listening on ".Length..].Split(' ')[0]);
        }
        else
        {
            (process, baseAddress) = await HeraldProcess.ServeAsync(args, _directory.Path);
        }

        _processes.Add(process);
        return new Uri(baseAddress, "/.well-known/mercure");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>An SSE endpoint that sends one event and then nothing, holding the connection open: a stalled proxy.</summary>
    private static async Task<WebApplication> StartStallingServerAsync(Action<string?> onConnection)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/.well-known/mercure", async (HttpContext context) =>
        {
            var lastEventId = context.Request.Headers["Last-Event-ID"].FirstOrDefault();
            onConnection(lastEventId);
            context.Response.ContentType = "text/event-stream";

            // As a hub would: the one event, unless the client resumes after it; then only silence.
            var body = lastEventId == "stalled-1" ? ":\n\n" : "id: stalled-1\ndata: then silence\n\n";
            await context.Response.WriteAsync(body, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        await app.StartAsync();
        return app;
    }
}
