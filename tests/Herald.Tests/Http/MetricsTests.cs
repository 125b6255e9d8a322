using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Http;

/// <summary>The <c>Herald</c> meter measures what an operator asks about, with tags that take only a few fixed values.</summary>
public sealed class MetricsTests
{
    private const string Topic = "https://example.com/books/1";

    [Fact]
    public async Task Publishes_deliveries_streams_refusals_and_latencies_are_measured_without_topics_in_tags()
    {
        await using var hub = await TestHub.StartAsync(o => o.MaxConnectionsPerSubject = 1);
        using var recorder = new Recorder(hub.Services.GetRequiredService<IMeterFactory>());

        var first = await hub.PublishAsync(Topic, "one");
        using (var invalid = await hub.PostAsync([new("topic", Topic), new("data", "x"), new("id", "a\nb")]))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }

        var alice = Tokens.Sign(TestHub.Key, """{"sub":"alice","mercure":{"subscribe":["*"]}}""");
        await using (var stream = await hub.SubscribeAsync([Topic], alice, lastEventId: "earliest"))
        {
            using (var refused = await hub.GetRawAsync(HubRequests.TopicQuery(Topic), r => r.Headers.Authorization = new("Bearer", alice)))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            }

            Assert.Equal("one", (await stream.NextAsync()).Data);
            Assert.Equal(1, recorder.Sum("herald.streams.active"));
            await hub.PublishAsync(Topic, "two");
            Assert.Equal("two", (await stream.NextAsync()).Data);
        }

        Assert.Equal(2, recorder.Sum("herald.publishes", ("http.response.status_code", 200)));
        Assert.Equal(1, recorder.Sum("herald.publishes", ("http.response.status_code", 400)));
        Assert.Equal(1, recorder.Sum("herald.subscriptions.refused", ("limit", "connections_per_subject")));
        Assert.Equal(2, recorder.Count("herald.publish.duration"));
        Assert.Equal(1, recorder.Count("herald.replay.updates"));
        Assert.Equal(1, recorder.Sum("herald.replay.updates"));
        await recorder.WaitForAsync("herald.dispatches", 2);
        Assert.True(recorder.Sum("herald.deliveries") >= 1);
        Assert.Equal(2, recorder.Count("herald.dispatch.lag"));

        // Bounded cardinality: no tag value is ever a topic, an id or a token.
        Assert.DoesNotContain(recorder.TagValues(), v => v.Contains("example.com", StringComparison.Ordinal) || v.Contains(first, StringComparison.Ordinal) || v.Contains(alice, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sqlite_hub_measures_how_many_publishes_each_commit_holds()
    {
        using var dir = new TempDirectory();
        await using var hub = await TestHub.StartAsync(o => o.Store = "sqlite:" + dir.File("h.db"));
        using var recorder = new Recorder(hub.Services.GetRequiredService<IMeterFactory>());

        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => hub.PublishAsync(Topic, "u" + i)));

        // Every publish is in exactly one commit, however they were grouped.
        Assert.Equal(5, recorder.Sum("herald.store.append_batch"));
        Assert.InRange(recorder.Count("herald.store.append_batch"), 1, 5);
    }

    [Fact]
    public async Task Streams_ended_by_shutdown_are_counted_by_their_reason()
    {
        var hub = await TestHub.StartAsync();
        await using var _ = hub;
        using var recorder = new Recorder(hub.Services.GetRequiredService<IMeterFactory>());
        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic));

        await hub.App.StopAsync();

        Assert.Equal(1, recorder.Sum("herald.subscribers.dropped", ("reason", "shutdown")));
        Assert.Equal(0, recorder.Sum("herald.subscribers.dropped", ("reason", "overflow")));
    }

    [Fact]
    public async Task One_delivery_in_the_sample_rate_is_timed_from_queue_to_flush()
    {
        await using var hub = await TestHub.StartAsync();
        using var recorder = new Recorder(hub.Services.GetRequiredService<IMeterFactory>());
        await using var stream = await hub.SubscribeAsync([Topic], hub.SubscriberToken(Topic));

        for (var i = 0; i < 2 * HeraldMetrics.DeliverySampleRate; i++)
        {
            await hub.PublishAsync(Topic, "u" + i);
        }

        await stream.ReadUntilDataAsync("u" + ((2 * HeraldMetrics.DeliverySampleRate) - 1));
        await recorder.WaitForAsync("herald.delivery.duration", 2);
        Assert.InRange(recorder.Count("herald.delivery.duration"), 2, 3);
    }

    /// <summary>Collects every measurement of one hub's <c>Herald</c> meter (tests run side by side: other hubs' meters are ignored).</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

        public Recorder(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == HeraldMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, tags.ToArray())));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, tags.ToArray())));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, tags.ToArray())));
            _listener.Start();
        }

        public double Sum(string name, (string Key, object Value)? tag = null) =>
            Matching(name, tag).Sum(m => m.Value);

        public int Count(string name) => Matching(name, null).Count();

        public IEnumerable<string> TagValues() => _measurements.SelectMany(m => m.Tags).Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "");

        public async Task WaitForAsync(string name, int count)
        {
            using var limit = new CancellationTokenSource(SseStream.WaitLimit);
            while (Count(name) < count)
            {
                await Task.Delay(5, limit.Token);
            }
        }

        public void Dispose() => _listener.Dispose();

        private IEnumerable<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> Matching(string name, (string Key, object Value)? tag) =>
            _measurements.Where(m => m.Name == name && (tag is not { } t || m.Tags.Any(x => x.Key == t.Key && Equals(x.Value, t.Value))));
    }
}
