using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Net.Sockets;
using HdrHistogram;

namespace Herald.Cli.Bench;

/// <summary>
/// The subscribers and the publisher. Each subscriber keeps one bit per message to count deliveries exactly
/// (missing and duplicated); every delivery's latency goes into an HdrHistogram recorder.
/// </summary>
internal sealed class LoadGenerator : IDisposable
{
    /// <summary>Latencies are recorded in microseconds up to an hour: anything later is a lost update, not a latency.</summary>
    private const long HighestLatencyMicros = 3_600_000_000;

    private readonly BenchOptions _options;
    private readonly HttpClient[] _subscribeClients;
    private readonly HttpClient _publishClient;
    private readonly Subscriber[] _subscribers;
    private readonly bool[] _accepted;
    private readonly ConcurrentDictionary<string, int> _connectFailures = new();
    private readonly ConcurrentDictionary<string, int> _drops = new();
    private readonly ConcurrentDictionary<string, int> _publishFailures = new();
    private readonly Recorder _recorder = new(1, HighestLatencyMicros, 3, (id, low, high, digits) => new LongConcurrentHistogram(id, low, high, digits));
    private readonly CancellationTokenSource _stopSubscribers = new();
    private readonly List<Task> _subscriberTasks = [];
    private int _established;
    private int _failed;
    private int _open;
    private long _published;
    private long _delivered;
    private int _accepteds;

    public LoadGenerator(BenchOptions options)
    {
        _options = options;
        IPAddress?[] sources = options.SourceIps.Count > 0 ? [.. options.SourceIps] : [null];
        _subscribeClients = [.. sources.Select(CreateSubscribeClient)];
        _publishClient = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = BenchOptions.MaxInFlightPublishes })
        {
            Timeout = BenchOptions.ConnectTimeout,
        };
        if (options.PublishToken is not null)
        {
            _publishClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.PublishToken);
        }

        _subscribers = [.. Enumerable.Range(0, options.Subscribers).Select(i => new Subscriber(i % options.Topics, options.Messages))];
        _accepted = new bool[options.Messages];
    }

    public int Established => Volatile.Read(ref _established);

    public int Failed => Volatile.Read(ref _failed);

    public int Open => Volatile.Read(ref _open);

    public int Attempted => _subscriberTasks.Count;

    public long Published => Interlocked.Read(ref _published);

    public long Delivered => Interlocked.Read(ref _delivered);

    public int Accepted => Volatile.Read(ref _accepteds);

    public int FailedPublishes => _publishFailures.Values.Sum();

    /// <summary>Why subscribers failed to connect, most common first: <c>HTTP 401: 5</c>.</summary>
    public string ConnectFailureReasons => Reasons(_connectFailures);

    /// <summary>Why publishes failed, most common first.</summary>
    public string PublishFailureReasons => Reasons(_publishFailures);

    /// <summary>Deliveries expected so far: accepted publishes × established subscribers of the topic.</summary>
    public long ExpectedSoFar { get; private set; }

    /// <summary>Latencies recorded since the previous call; the caller also folds them into the run's total.</summary>
    public HistogramBase TakeInterval() => _recorder.GetIntervalHistogram();

    /// <summary>Opens every subscriber at the connect rate; completes when each is established or failed.</summary>
    public async Task ConnectAllAsync(CancellationToken cancel)
    {
        var ready = new List<Task>(_subscribers.Length);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < _subscribers.Length; i++)
        {
            var due = TimeSpan.FromSeconds(i / _options.ConnectRate) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(due, cancel).ConfigureAwait(false);
            }

            var subscriber = _subscribers[i];
            var client = _subscribeClients[i % _subscribeClients.Length];
            _subscriberTasks.Add(Task.Run(() => RunSubscriberAsync(subscriber, client), CancellationToken.None));
            ready.Add(subscriber.Ready.Task);
        }

        await Task.WhenAll(ready).WaitAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes every message at the rate, at most <see cref="BenchOptions.MaxInFlightPublishes"/> at once; gives up
    /// after <see cref="BenchOptions.FailedPublishesBeforeGivingUp"/> failures if none was accepted.
    /// </summary>
    public async Task PublishAllAsync(CancellationToken cancel)
    {
        using var slots = new SemaphoreSlim(BenchOptions.MaxInFlightPublishes);
        var inFlight = new List<Task>(_options.Messages);
        var start = Stopwatch.GetTimestamp();
        try
        {
            for (var seq = 0; seq < _options.Messages; seq++)
            {
                var due = TimeSpan.FromSeconds(seq / _options.Rate) - Stopwatch.GetElapsedTime(start);
                if (due > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(due, cancel).ConfigureAwait(false);
                }

                await slots.WaitAsync(cancel).ConfigureAwait(false);
                if (Accepted == 0 && FailedPublishes >= BenchOptions.FailedPublishesBeforeGivingUp)
                {
                    slots.Release();
                    break;
                }

                inFlight.Add(PublishOneAsync(seq, slots, cancel));
            }
        }
        finally
        {
            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }
    }

    /// <summary>Completes when every expected delivery arrived (or cancel).</summary>
    public async Task DrainAsync(CancellationToken cancel)
    {
        while (Delivered < ExpectedSoFar && !cancel.IsCancellationRequested)
        {
            await Task.Delay(_options.SampleInterval / 5, cancel).ConfigureAwait(false);
        }
    }

    public async Task StopAsync()
    {
        await _stopSubscribers.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_subscriberTasks).ConfigureAwait(false);
    }

    /// <summary>Exact accounting over every subscriber's bits, after the subscribers stopped.</summary>
    public (ConnectionFigures Connections, PublishFigures Publishes, DeliveryFigures Deliveries) Count(double publishSeconds, double deliverySeconds)
    {
        var connections = new ConnectionFigures
        {
            Attempted = Attempted,
            Established = Established,
            Failed = Failed,
            FailedByReason = new(_connectFailures),
            Dropped = _drops.Values.Sum(),
            DroppedByReason = new(_drops),
        };
        var publishes = new PublishFigures
        {
            Attempted = (int)Published,
            Accepted = Accepted,
            Failed = FailedPublishes,
            FailedByReason = new(_publishFailures),
            ActualRate = publishSeconds > 0 ? Accepted / publishSeconds : 0,
        };
        var deliveries = new DeliveryFigures();
        foreach (var subscriber in _subscribers.Where(s => s.Established))
        {
            for (var seq = subscriber.Topic; seq < _accepted.Length; seq += _options.Topics)
            {
                var got = subscriber.Has(seq);
                if (_accepted[seq])
                {
                    deliveries.Expected++;
                    if (got)
                    {
                        deliveries.Delivered++;
                    }
                    else
                    {
                        deliveries.Missing++;
                    }
                }
                else if (got)
                {
                    deliveries.Unexpected++;
                    deliveries.Delivered++;
                }
            }

            deliveries.Duplicated += subscriber.Duplicates;
        }

        deliveries.PerSecond = deliverySeconds > 0 ? deliveries.Delivered / deliverySeconds : 0;
        return (connections, publishes, deliveries);
    }

    public void Dispose()
    {
        foreach (var client in _subscribeClients)
        {
            client.Dispose();
        }

        _publishClient.Dispose();
        _stopSubscribers.Dispose();
    }

    private HttpClient CreateSubscribeClient(IPAddress? source)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = BenchOptions.ConnectTimeout,
            UseCookies = false,
        };
        if (source is not null)
        {
            // Each source address has its own ~28,000 ephemeral ports: several let one machine open more connections.
            handler.ConnectCallback = async (context, cancel) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancel).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        if (_options.SubscribeToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _options.SubscribeToken);
        }

        return client;
    }

    private async Task RunSubscriberAsync(Subscriber subscriber, HttpClient client)
    {
        var stop = _stopSubscribers.Token;
        HttpResponseMessage? response = null;
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            connectTimeout.CancelAfter(BenchOptions.ConnectTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, _options.SubscribeUrl(subscriber.Topic));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connectTimeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Fail(subscriber, "HTTP " + (int)response.StatusCode);
                return;
            }

            var body = await response.Content.ReadAsStreamAsync(stop).ConfigureAwait(false);
            subscriber.Established = true;
            Interlocked.Increment(ref _established);
            Interlocked.Increment(ref _open);
            subscriber.Ready.TrySetResult();
            try
            {
                await foreach (var item in SseParser.Create(body, (_, data) => Stamp.Parse(data)).EnumerateAsync(stop).ConfigureAwait(false))
                {
                    var stamp = item.Data;
                    if (stamp.Sequence < 0 || stamp.Sequence >= _options.Messages)
                    {
                        continue;
                    }

                    var micros = (long)Stopwatch.GetElapsedTime(stamp.SentAt).TotalMicroseconds;
                    _recorder.RecordValue(Math.Clamp(micros, 1, HighestLatencyMicros));
                    if (subscriber.Mark(stamp.Sequence))
                    {
                        Interlocked.Increment(ref _delivered);
                    }
                }

                if (!stop.IsCancellationRequested)
                {
                    subscriber.Dropped = true;
                    _drops.AddOrUpdate("ended by server", 1, (_, n) => n + 1);
                }
            }
            catch (Exception e) when (!stop.IsCancellationRequested && e is IOException or HttpRequestException)
            {
                subscriber.Dropped = true;
                _drops.AddOrUpdate(Reason(e), 1, (_, n) => n + 1);
            }
            finally
            {
                Interlocked.Decrement(ref _open);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Fail(subscriber, "cancelled");
        }
        catch (OperationCanceledException)
        {
            Fail(subscriber, "timeout");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException)
        {
            Fail(subscriber, Reason(e));
        }
        finally
        {
            response?.Dispose();
        }
    }

    private void Fail(Subscriber subscriber, string reason)
    {
        if (subscriber.Established)
        {
            return;
        }

        Interlocked.Increment(ref _failed);
        _connectFailures.AddOrUpdate(reason, 1, (_, n) => n + 1);
        subscriber.Ready.TrySetResult();
    }

    private async Task PublishOneAsync(int seq, SemaphoreSlim slots, CancellationToken cancel)
    {
        await Task.Yield();
        try
        {
            var topic = seq % _options.Topics;
            var payload = Stamp.Create(seq, Stopwatch.GetTimestamp(), _options.Payload);
            using HttpContent content = _options.TemplateMode
                ? new StringContent(payload)
                : new FormUrlEncodedContent([new("topic", _options.Topic(topic)), new("data", payload)]);
            Interlocked.Increment(ref _published);
            using var response = await _publishClient.PostAsync(_options.PublishUrl(topic), content, cancel).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                _accepted[seq] = true;
                Interlocked.Increment(ref _accepteds);
                lock (_accepted)
                {
                    ExpectedSoFar += _subscribers.Count(s => s.Established && s.Topic == topic && !s.Dropped);
                }
            }
            else
            {
                _publishFailures.AddOrUpdate("HTTP " + (int)response.StatusCode, 1, (_, n) => n + 1);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            _publishFailures.AddOrUpdate(cancel.IsCancellationRequested ? "cancelled" : Reason(e), 1, (_, n) => n + 1);
        }
        finally
        {
            slots.Release();
        }
    }

    private static string Reasons(ConcurrentDictionary<string, int> reasons) =>
        string.Join(", ", reasons.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}: {kv.Value}"));

    private static string Reason(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner switch
        {
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "refused",
            SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted } => "reset",
            SocketException { SocketErrorCode: SocketError.TimedOut } => "timeout",
            SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable } s => s.SocketErrorCode.ToString(),
            TimeoutException => "timeout",
            _ => inner.GetType().Name,
        };
    }

    /// <summary>One subscription: its topic and one bit per message.</summary>
    private sealed class Subscriber(int topic, int messages)
    {
        private readonly ulong[] _seen = new ulong[(messages + 63) / 64];

        public int Topic { get; } = topic;

        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Established { get; set; }

        public bool Dropped { get; set; }

        public long Duplicates;

        /// <summary>Only this subscriber's reader marks its bits, so no interlocking is needed; false on a duplicate.</summary>
        public bool Mark(long seq)
        {
            var mask = 1UL << (int)(seq & 63);
            ref var word = ref _seen[seq >> 6];
            if ((word & mask) != 0)
            {
                Duplicates++;
                return false;
            }

            word |= mask;
            return true;
        }

        public bool Has(long seq) => (_seen[seq >> 6] & (1UL << (int)(seq & 63))) != 0;
    }
}
