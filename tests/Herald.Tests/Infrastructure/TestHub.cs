using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Infrastructure;

/// <summary>A real hub: an ASP.NET Core app embedding Herald on Kestrel at 127.0.0.1 on a free port.</summary>
public sealed class TestHub : IAsyncDisposable
{
    public const string Key = "test-secret-key-that-is-long-enough-for-hs256!";
    public const string HubPath = "/.well-known/mercure";

    private TestHub(WebApplication app, Uri baseAddress, FakeTimeProvider? time)
    {
        App = app;
        BaseAddress = baseAddress;
        Time = time;
        Client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public Uri HubUrl => new(BaseAddress, HubPath);

    public HttpClient Client { get; }

    /// <summary>Set when the hub runs on fake time (heartbeat and expiry tests).</summary>
    public FakeTimeProvider? Time { get; }

    public IServiceProvider Services => App.Services;

    /// <param name="pipeline">Middleware the application puts before the hub's endpoints.</param>
    public static async Task<TestHub> StartAsync(Action<HeraldOptions>? configure = null, bool fakeTime = false, Action<IServiceCollection>? services = null, Action<WebApplication>? pipeline = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        FakeTimeProvider? time = null;
        if (fakeTime)
        {
            time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            builder.Services.AddSingleton<TimeProvider>(time);
        }

        builder.Services.AddHerald(o =>
        {
            o.JwtKey = Key;
            configure?.Invoke(o);
        });
        services?.Invoke(builder.Services);
        var app = builder.Build();
        pipeline?.Invoke(app);
        app.MapHerald();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestHub(app, new Uri(address), time);
    }

    public string PublisherToken(params string[] topics) => Tokens.Create(Key, publish: topics.Length == 0 ? ["*"] : topics);

    public string SubscriberToken(params string[] topics) => Tokens.Create(Key, subscribe: topics);

    /// <summary>Publishes with a token allowed to publish anywhere; returns the response.</summary>
    public Task<HttpResponseMessage> PostAsync(IEnumerable<KeyValuePair<string, string>> fields, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, HubPath) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? PublisherToken());
        return Client.SendAsync(request);
    }

    /// <summary>Publishes and asserts success; returns the id the hub answered.</summary>
    public async Task<string> PublishAsync(string topic, string data, bool isPrivate = false, string? id = null, string? type = null)
    {
        var fields = new List<KeyValuePair<string, string>> { new("topic", topic), new("data", data) };
        if (isPrivate)
        {
            fields.Add(new("private", "on"));
        }

        if (id is not null)
        {
            fields.Add(new("id", id));
        }

        if (type is not null)
        {
            fields.Add(new("type", type));
        }

        using var response = await PostAsync(fields);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"publish failed: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>Opens a subscription; the stream is open (headers received) when this returns.</summary>
    public Task<SseStream> SubscribeAsync(string[] topics, string? token = null, string? lastEventId = null, bool anonymous = false, string? extraQuery = null) =>
        SseStream.OpenAsync(Client, HubPath, topics, anonymous ? null : token ?? SubscriberToken(), lastEventId, extraQuery);

    /// <summary>Waits until that many subscribers are registered (streams or polls).</summary>
    public Task WaitForStreamsAsync(int count) => WaitUntilAsync(() => Services.GetRequiredService<Herald.Fanout.SubscriberIndex>().Count >= count);

    /// <summary>Waits until the dispatcher has queued the update at that store position on every matching subscriber.</summary>
    public Task WaitForDispatchAsync(long position) => WaitUntilAsync(() => Services.GetRequiredService<Herald.Fanout.Dispatcher>().DispatchedPosition >= position);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(SseStream.WaitLimit);
        while (!condition())
        {
            // Real-time yield while checking a condition the hub exposes no event for.
            await Task.Delay(5, limit.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await App.StopAsync(cts.Token);
        await App.DisposeAsync();
    }
}
