using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Herald.Auth;
using Herald.Fanout;
using Herald.Protocol;
using Herald.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Herald.Benchmarks;

/// <summary>
/// One update fanned out to N matching subscribers. Allocated bytes per Dispatch should not grow with N:
/// the frame is shared and the candidate list reused. Queues are drained between iterations by each
/// subscriber's real writer loop, so their segments stay warm and the queue bound is never hit.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
[InvocationCount(Invocations)]
public class DispatchBenchmarks
{
    // Fixed rather than piloted: queues fill for a whole iteration before the cleanup drains them.
    private const int Invocations = 4096;
    private const string Topic = "https://example.com/books/1";

    private readonly DiscardingPipeWriter _sink = new();
    private Subscriber[] _subscribers = [];
    private Dispatcher _dispatcher = null!;
    private StoredUpdate _public = null!;
    private StoredUpdate _private = null!;

    [Params(1, 100, 1000)]
    public int Subscribers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var selectors = new TopicSelectorStore();
        var options = Options.Create(new HeraldOptions { JwtKey = "benchmark-secret-key-that-is-long-enough-for-hs256" });
        var authorizer = new Authorizer(new StaticOptionsMonitor<HeraldOptions>(options.Value), selectors, TimeProvider.System, new HeraldMetrics(new NoMeterFactory()), NullLogger<Authorizer>.Instance);
        var store = new MemoryHistoryStore(HistoryLimits.MemoryDefaults, TimeProvider.System);
        var index = new SubscriberIndex();
        _dispatcher = new Dispatcher(store, index, authorizer, new HeraldMetrics(new NoMeterFactory()), TimeProvider.System, NullLogger<Dispatcher>.Instance, new Herald.Deltas.RetainedDeltas(NullLogger<Herald.Deltas.RetainedDeltas>.Instance));

        // Each subscriber has its own claims, as each token does, granting the topic through a shared template.
        _subscribers = new Subscriber[Subscribers];
        for (var i = 0; i < _subscribers.Length; i++)
        {
            var claims = new HeraldClaims([], [selectors.Get("https://example.com/books/{id}")], null, null);
            _subscribers[i] = new Subscriber([selectors.Get(Topic)], claims, int.MaxValue, long.MaxValue, TimeProvider.System);
            index.Add(_subscribers[i]);
        }

        _public = Store(store, new Update { Topics = [Topic], Id = "urn:uuid:1", Data = new string('x', 100) });
        _private = Store(store, new Update { Topics = [Topic], Id = "urn:uuid:2", Data = new string('x', 100), Private = true });
    }

    [IterationCleanup]
    public void Drain()
    {
        foreach (var subscriber in _subscribers)
        {
            // The writer loop empties the queue synchronously, then parks on an empty queue until cancelled.
            using var stop = new CancellationTokenSource();
            var loop = subscriber.RunAsync(_sink, stop.Token);
            stop.Cancel();
            try
            {
                loop.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    [Benchmark]
    public long DispatchPublic()
    {
        _dispatcher.Dispatch(_public);
        return _dispatcher.DispatchedPosition;
    }

    /// <summary>Adds the per-subscriber grant check of a private update.</summary>
    [Benchmark]
    public long DispatchPrivate()
    {
        _dispatcher.Dispatch(_private);
        return _dispatcher.DispatchedPosition;
    }

    private static StoredUpdate Store(MemoryHistoryStore store, Update update)
    {
        store.AppendAsync(update, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var stored = store.ReadAfterAsync(0, int.MaxValue, CancellationToken.None).AsTask().GetAwaiter().GetResult()[^1];
        _ = stored.Frame; // serialized once, as the first delivery would
        return stored;
    }

    /// <summary>A socket that takes everything instantly: isolates the queue from I/O.</summary>
    private sealed class DiscardingPipeWriter : PipeWriter
    {
        private readonly byte[] _buffer = new byte[64 * 1024];

        public override void Advance(int bytes)
        {
        }

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => default;

        public override Memory<byte> GetMemory(int sizeHint = 0) =>
            sizeHint <= _buffer.Length ? _buffer : new byte[sizeHint];

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}

/// <summary>Meters that nobody listens to, as in a hub without an exporter.</summary>
internal sealed class NoMeterFactory : System.Diagnostics.Metrics.IMeterFactory
{
    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

    public void Dispose()
    {
    }
}
