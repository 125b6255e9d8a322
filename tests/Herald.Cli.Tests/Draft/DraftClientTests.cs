using System.Net;
using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;
using Herald.Tests.Interop;

namespace Herald.Cli.Tests.Draft;

/// <summary>
/// The "done when": a client written from draft-08 alone (<see cref="DraftMercureClient"/>) subscribes,
/// publishes and resumes against <c>herald serve --protocol both</c>, next to Debian's symfony/mercure 0.x publisher
/// and a plain 0.x subscriber on the same hub.
/// </summary>
public sealed class DraftClientTests : IAsyncLifetime
{
    private const string Issuer = "https://auth.example.com";
    private const string IssuerKey = "draft-issuer-key-that-is-long-enough-for-hs256-signing";
    private const string Resource = "https://hub.example.com/.well-known/mercure";

    private readonly TempDirectory _directory = new();
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private HeraldProcess? _hub;
    private Uri _hubUrl = null!;

    public async Task InitializeAsync()
    {
        var config = Path.Combine(_directory.Path, "v1.json");
        var issuer = new { Id = Issuer, PublisherKeys = new[] { new { Key = IssuerKey } }, SubscriberKeys = new[] { new { Key = IssuerKey } } };
        await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new { Herald = new { Resource, Issuers = new[] { issuer } } }));
        var store = "sqlite:" + Path.Combine(_directory.Path, "history.db");
        var (process, baseAddress) = await HeraldProcess.ServeAsync(["--protocol", "both", "--config", config, "--jwt-key", HeraldProcess.Key, "--store", store], _directory.Path);
        _hub = process;
        _hubUrl = new Uri(baseAddress, "/.well-known/mercure");
    }

    public async Task DisposeAsync()
    {
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        _http.Dispose();
        _directory.Dispose();
    }

    private static string Token(string[] actions, params (string, string?)[] topics) =>
        DraftMercureClient.AccessToken(IssuerKey, Issuer, Resource, "draft-client", actions, topics);

    [Fact]
    public async Task A_draft_client_subscribes_publishes_and_resumes_beside_a_symfony_0x_publisher()
    {
        var client = new DraftMercureClient(_http, _hubUrl);

        // Routing to every book, reading only books/1 and books/4 privately ("Subscribers": routing never widens what is read).
        var reader = Token(["subscribe"], ("https://example.com/books/1", null), ("https://example.com/books/4", "Exact"));
        var writer = Token(["publish"], ("https://example.com/books/:id", "URLPattern"));
        (string, string)[] matchers = [("matchURLPattern", "https://example.com/books/:id"), ("match", "urn:isbn:9780000000001")];
        var stream = await client.SubscribeAsync(matchers, reader);
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);

        // A plain 0.x subscriber on the same hub, with a legacy token.
        await using var legacy = await SseStream.OpenAsync(_http, _hubUrl.ToString(), ["https://example.com/books/{id}"], Tokens.Create(HeraldProcess.Key, subscribe: ["*"]), null);

        var symfony = await SymfonyPublisher.PublishAsync(_hubUrl, Tokens.Create(HeraldProcess.Key, publish: ["*"]),
            new(["https://example.com/books/2"], "public from symfony"),
            new(["https://example.com/books/3"], "private, not granted", Private: true),
            new(["urn:isbn:9780000000001", "https://example.com/books/1"], "private, alternate topics", Private: true, Type: "book.updated"));
        Assert.All(symfony, id => Assert.DoesNotContain("refused", id, StringComparison.Ordinal));

        var (status, published, _) = await client.PublishAsync(writer, "https://example.com/books/4", "private from the draft client", isPrivate: true);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(string.IsNullOrWhiteSpace(published));

        var first = await stream.NextAsync();
        Assert.Equal((symfony[0], "message", "public from symfony"), (first.LastEventId, first.Type, first.Data));
        var second = await stream.NextAsync();
        Assert.Equal((symfony[2], "book.updated", "private, alternate topics"), (second.LastEventId, second.Type, second.Data));
        var third = await stream.NextAsync();
        Assert.Equal((published, "private from the draft client"), (third.LastEventId, third.Data));

        // The 0.x subscriber (granted *) sees the 1.0 publisher's update too.
        Assert.Contains(await legacy.ReadUntilDataAsync("private from the draft client"), e => e.Data == "private, not granted");

        // "Reconciliation": reconnect with the last id in the Last-Event-ID header; the hub answers it back.
        var last = stream.LastEventId;
        await stream.DisposeAsync();
        var missed = await SymfonyPublisher.PublishAsync(_hubUrl, Tokens.Create(HeraldProcess.Key, publish: ["*"]), new SymfonyPublisher.Update(["https://example.com/books/5"], "while away"));
        await using var resumed = await client.SubscribeAsync(matchers, reader, lastEventIdHeader: last);
        Assert.Equal(last, resumed.AnsweredLastEventId);
        var again = await resumed.NextAsync();
        Assert.Equal((missed[0], "while away"), (again.LastEventId, again.Data));

        // The lastEventID query parameter works for clients that cannot set headers; the header takes precedence.
        await using var byQuery = await client.SubscribeAsync(matchers, reader, lastEventIdQuery: last);
        Assert.Equal(last, byQuery.AnsweredLastEventId);
        Assert.Equal("while away", (await byQuery.NextAsync()).Data);
        await using var both = await client.SubscribeAsync(matchers, reader, lastEventIdHeader: missed[0], lastEventIdQuery: last);
        Assert.Equal(missed[0], both.AnsweredLastEventId);

        // "earliest" replays everything retained the token may read, never books/3.
        await using var earliest = await client.SubscribeAsync(matchers, reader, lastEventIdHeader: "earliest");
        Assert.Equal("public from symfony", (await earliest.NextAsync()).Data);
        Assert.Equal("private, alternate topics", (await earliest.NextAsync()).Data);
    }

    [Fact]
    public async Task The_draft_clients_refusals_are_the_drafts()
    {
        var client = new DraftMercureClient(_http, _hubUrl);
        var writer = Token(["publish"], ("*", null));

        // "Subscription": an unknown name in the match namespace is a 400, as is a value with a control character.
        await using (var unknown = await client.SubscribeAsync([("matchRegex", ".*")], null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.Response.StatusCode);
        }

        await using (var control = await client.SubscribeAsync([("match", "a\u0001b")], null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, control.Response.StatusCode);
        }

        // "Publication": exactly one topic; the reserved namespace is a 403; limits are 413s; a missing token is a 401
        // with a Bearer challenge and no error code ("Error Responses").
        var (twoTopics, _, _) = await client.PublishAsync(writer, [new("topic", "https://example.com/a"), new("topic", "https://example.com/b"), new("data", "x")]);
        Assert.Equal(HttpStatusCode.BadRequest, twoTopics);
        var (reserved, _, _) = await client.PublishAsync(writer, "/.well-known/mercure/subscriptions/Exact/x/y", "forged");
        Assert.Equal(HttpStatusCode.Forbidden, reserved);
        var (tooLong, _, _) = await client.PublishAsync(writer, "https://example.com/" + new string('a', 5000), "x");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLong);
        var (anonymous, _, response) = await client.PublishAsync(null, [new("topic", "https://example.com/a"), new("data", "x")]);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.DoesNotContain("error=", challenge.Parameter ?? "", StringComparison.Ordinal);

        // "Publishers": a token without publish on the topic is a 403 with insufficient_scope.
        var (forbidden, _, refused) = await client.PublishAsync(Token(["publish"], ("https://example.com/only", null)), "https://example.com/other", "x");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        Assert.Contains("insufficient_scope", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }
}
