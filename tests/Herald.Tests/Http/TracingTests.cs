using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Http;

/// <summary>Spans from the publisher's <c>traceparent</c> to the dispatch that delivers the update, in one trace.</summary>
public sealed class TracingTests : IDisposable
{
    private const string Topic = "https://example.com/books/1";

    private readonly ActivityTraceId _traceId = ActivityTraceId.CreateRandom();
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;

    public TracingTests()
    {
        // Only this test's trace: other tests run beside it on the same activity sources.
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

    [Fact]
    public async Task A_publish_joins_the_publishers_trace_and_its_dispatch_links_to_it()
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic));
        var parent = ActivitySpanId.CreateRandom();
        var request = new HttpRequestMessage(HttpMethod.Post, TestHub.HubPath) { Content = new FormUrlEncodedContent([new("topic", Topic), new("data", "traced")]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hub.PublisherToken());
        request.Headers.Add("traceparent", $"00-{_traceId}-{parent}-01");

        using var response = await hub.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal("traced", (await stream.NextAsync()).Data);
        await WaitForAsync("herald.dispatch");

        var publish = _spans.Single(s => s.OperationName == "herald.publish");
        var append = _spans.Single(s => s.OperationName == "herald.store.append");
        var dispatch = _spans.Single(s => s.OperationName == "herald.dispatch");
        Assert.Equal(_traceId, publish.TraceId);
        Assert.Equal(publish.SpanId, append.ParentSpanId);
        Assert.Equal(publish.SpanId, dispatch.Links.Single().Context.SpanId);
        Assert.Equal(1, dispatch.GetTagItem("herald.deliveries"));
        Assert.Equal("stored", publish.GetTagItem("herald.outcome"));

        // Spans carry counts, never a topic or the data.
        Assert.DoesNotContain(_spans.SelectMany(s => s.TagObjects), t => t.Value is string v && (v.Contains("example.com", StringComparison.Ordinal) || v.Contains("traced", StringComparison.Ordinal)));
    }

    public void Dispose() => _listener.Dispose();

    private async Task WaitForAsync(string name)
    {
        using var limit = new CancellationTokenSource(SseStream.WaitLimit);
        while (!_spans.Any(s => s.OperationName == name))
        {
            await Task.Delay(5, limit.Token);
        }
    }
}
