using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Herald.Redis.Tests.Infrastructure;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Redis.Tests;

/// <summary>
/// A publish on node A and its delivery on node B are one trace: the publish span's context travels with the update in
/// its Redis entry, and B's dispatch links to it. Two real hubs on Kestrel in this process (so one listener sees both
/// nodes' spans), one real redis-server.
/// </summary>
public sealed class CrossNodeTracingTests : IAsyncLifetime
{
    private const string Key = "redis-tracing-test-key-that-is-long-enough!!";
    private const string Topic = "https://example.com/books/1";

    private readonly ActivityTraceId _traceId = ActivityTraceId.CreateRandom();
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly List<WebApplication> _nodes = [];
    private ActivityListener _listener = null!;
    private RedisServer _redis = null!;

    [Fact]
    public async Task A_publish_on_one_node_and_its_dispatch_on_the_other_are_one_trace()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        using var client = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        await using var stream = await SseStream.OpenAsync(new HttpClient { BaseAddress = b, Timeout = Timeout.InfiniteTimeSpan }, "/.well-known/mercure", [Topic], Tokens.Create(Key, subscribe: [Topic]), null);

        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(a, "/.well-known/mercure")) { Content = new FormUrlEncodedContent([new("topic", Topic), new("data", "across nodes")]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Create(Key, publish: ["*"]));
        request.Headers.Add("traceparent", $"00-{_traceId}-{ActivitySpanId.CreateRandom()}-01");
        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("across nodes", (await stream.NextAsync()).Data);
        using var limit = new CancellationTokenSource(SseStream.WaitLimit);
        // Both nodes dispatch every update from the stream; only B has the subscriber, so its dispatch delivered one.
        while (_spans.Count(s => s.OperationName == "herald.dispatch") < 2)
        {
            await Task.Delay(10, limit.Token);
        }

        var publish = _spans.Single(s => s.OperationName == "herald.publish");
        var dispatches = _spans.Where(s => s.OperationName == "herald.dispatch").ToList();
        var onB = dispatches.Single(s => (int?)s.GetTagItem("herald.deliveries") == 1);
        Assert.Equal(_traceId, publish.TraceId);
        Assert.All(dispatches, d => Assert.Equal((publish.TraceId, publish.SpanId), (d.Links.Single().Context.TraceId, d.Links.Single().Context.SpanId)));
        Assert.Contains(onB, dispatches);
    }

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is HeraldTracing.SourceName or "Microsoft.AspNetCore",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == _traceId || activity.Links.Any(l => l.Context.TraceId == _traceId))
                {
                    _spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.StopAsync();
            await node.DisposeAsync();
        }

        _listener.Dispose();
        await _redis.DisposeAsync();
    }

    private async Task<Uri> StartNodeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddHerald(o => (o.JwtKey, o.Store) = (Key, _redis.Url));
        builder.Services.AddHeraldRedis();
        var app = builder.Build();
        app.MapHerald();
        await app.StartAsync();
        _nodes.Add(app);
        return new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }
}
