using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;
using Herald.Tests.Shared;

namespace Herald.Client.Tests;

/// <summary>
/// <see cref="HeraldClient.Follow{T}"/> asks for deltas and hands the application, update after update, exactly the
/// documents published, for both bundle shapes, across a cut stream, a gap and a lost frame (against <c>herald serve</c>).
/// </summary>
public sealed class DeltaTests : IAsyncLifetime
{
    private const string Topic = "https://example.com/bots";

    private readonly TempDirectory _directory = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(90));
    private HeraldProcess? _process;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Follow_rebuilds_every_document_exactly_across_a_cut_a_gap_and_a_lost_frame(bool keyed)
    {
        (_process, var baseAddress) = await HeraldProcess.ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "memory", "--history-max-count", "4"], _directory.Path);
        var hub = new Uri(baseAddress, "/.well-known/mercure");
        var tap = new Tap();
        using var http = new HttpClient(tap) { Timeout = Timeout.InfiniteTimeSpan };
        using var publishing = new HttpClient();
        var subscriber = new HeraldClient(http, new HeraldClientOptions { HubUrl = hub, Token = Tokens.Create(HeraldProcess.Key, subscribe: ["*"]), BackoffBase = TimeSpan.FromMilliseconds(50) });
        var publisher = new HeraldClient(publishing, new HeraldClientOptions { HubUrl = hub, Token = Tokens.Create(HeraldProcess.Key, publish: ["*"]) });
        var bundles = new Bundles(keyed);
        var published = new Dictionary<string, string>();
        async Task PublishAsync(int i)
        {
            published["v" + i] = bundles.Next();
            await publisher.PublishAsync(new HeraldPublication { Topics = [Topic], Data = published["v" + i], Retain = true, Id = "v" + i }, _timeout.Token);
        }

        var seen = new List<(string Id, JsonNode? Value)>();
        var changed = new SemaphoreSlim(0);
        await PublishAsync(0);
        await using var follow = subscriber.Follow(Topic, data => JsonNode.Parse(data));
        follow.Changed += value =>
        {
            lock (seen)
            {
                seen.Add((follow.Update!.Id!, value));
            }

            changed.Release();
        };
        async Task ReachAsync(string id)
        {
            while (true)
            {
                lock (seen)
                {
                    if (seen.Any(s => s.Id == id) || follow.Update?.Id == id)
                    {
                        break;
                    }
                }

                await changed.WaitAsync(_timeout.Token);
            }

            AssertSameJson(published[id], follow.Update!.Id == id ? follow.Value : seen.First(s => s.Id == id).Value);
        }

        await follow.FirstValueAsync(_timeout.Token);
        await ReachAsync("v0");
        for (var i = 1; i <= 5; i++)
        {
            await PublishAsync(i);
            await ReachAsync("v" + i);
        }

        Assert.Contains("herald-delta=json-patch%2Cmerge-patch", tap.Urls[0], StringComparison.Ordinal);
        Assert.Equal(4, CountDeltas(tap.Raw));
        Assert.True(tap.Raw.Length < published["v0"].Length * 3, $"{tap.Raw.Length} bytes on the wire for 6 versions");

        // Cut, with one update published while away: replayed whole, then deltas again.
        tap.Hold();
        tap.Cut();
        await PublishAsync(6);
        tap.Release();
        await ReachAsync("v6");
        await PublishAsync(7);
        await ReachAsync("v7");

        // Away past the history (4 kept): a gap, and still exactly the latest document.
        tap.Hold();
        tap.Cut();
        for (var i = 8; i <= 13; i++)
        {
            await PublishAsync(i);
        }

        tap.Release();
        await ReachAsync("v13");

        // A delta lost on the way: the next names a base the client does not have; it reconnects for the whole value.
        await PublishAsync(14);
        await ReachAsync("v14");
        var streams = tap.Urls.Count;
        tap.Drop("v15");
        await PublishAsync(15);
        await PublishAsync(16);
        await ReachAsync("v16");
        Assert.True(tap.Urls.Count > streams, "the client reconnected for the whole value");
        await PublishAsync(17);
        await ReachAsync("v17");

        lock (seen)
        {
            foreach (var (id, value) in seen)
            {
                AssertSameJson(published[id], value);
            }

            var order = seen.Select(s => int.Parse(s.Id[1..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(order.Order(), order);
            Assert.Equal(order.Count, order.Distinct().Count());
        }
    }

    [Fact]
    public async Task SubscribeAsync_asks_for_deltas_only_when_told()
    {
        (_process, var baseAddress) = await HeraldProcess.ServeAsync(["--jwt-key", HeraldProcess.Key, "--store", "memory"], _directory.Path);
        var hub = new Uri(baseAddress, "/.well-known/mercure");
        var tap = new Tap();
        using var http = new HttpClient(tap) { Timeout = Timeout.InfiniteTimeSpan };
        var client = new HeraldClient(http, new HeraldClientOptions { HubUrl = hub, Token = Tokens.Create(HeraldProcess.Key, subscribe: ["*"], publish: ["*"]) });
        var big = """{"a":"__________________________________________________","n":1}""";
        await client.PublishAsync(new HeraldPublication { Topics = [Topic], Data = big, Retain = true, Id = "p1" }, _timeout.Token);
        await using (var plain = client.SubscribeAsync([Topic], cancellationToken: _timeout.Token).GetAsyncEnumerator())
        {
            Assert.True(await plain.MoveNextAsync());
        }

        await using (var asked = client.SubscribeAsync([Topic], options: new SubscribeOptions { Deltas = true }, cancellationToken: _timeout.Token).GetAsyncEnumerator())
        {
            Assert.True(await asked.MoveNextAsync());
            foreach (var n in (int[])[2, 3])
            {
                var data = big.Replace("\"n\":1", $"\"n\":{n}", StringComparison.Ordinal);
                await client.PublishAsync(new HeraldPublication { Topics = [Topic], Data = data, Retain = true, Id = "p" + n }, _timeout.Token);
                Assert.True(await asked.MoveNextAsync());
                Assert.Equal("p" + n, asked.Current.Id);
                AssertSameJson(data, JsonNode.Parse(asked.Current.Data));
            }
        }

        Assert.DoesNotContain("herald-delta", tap.Urls[0], StringComparison.Ordinal);
        Assert.Contains("herald-delta", tap.Urls[^1], StringComparison.Ordinal);
        Assert.Equal(1, CountDeltas(tap.Raw));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _timeout.Dispose();
        _directory.Dispose();
    }

    private static int CountDeltas(string raw) => raw.Split('\n').Count(l => l.StartsWith("herald-delta: ", StringComparison.Ordinal));

    private static void AssertSameJson(string expected, JsonNode? actual)
    {
        using var want = JsonDocument.Parse(expected);
        using var got = JsonDocument.Parse(actual?.ToJsonString() ?? "null");
        Assert.True(JsonElement.DeepEquals(want.RootElement, got.RootElement), "the document differs from the one published");
    }

    /// <summary>
    /// Between the client and the hub: records what the hub sent, can cut the stream in flight, hold reconnects, and
    /// drop a frame (as a buggy proxy might; a real stream never loses one).
    /// </summary>
    private sealed class Tap() : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly StringBuilder _raw = new();
        private readonly HashSet<string> _drop = [];
        private TaskCompletionSource _open = CompletedGate();
        private CancellationTokenSource _cut = new();

        /// <summary>The subscriptions' URLs (publishes pass through unrecorded).</summary>
        public List<string> Urls { get; } = [];

        public string Raw
        {
            get
            {
                lock (_raw)
                {
                    return _raw.ToString();
                }
            }
        }

        public void Hold() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _open.TrySetResult();

        public void Cut() => _cut.Cancel();

        public void Drop(string id)
        {
            lock (_drop)
            {
                _drop.Add(id);
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Get)
            {
                return await base.SendAsync(request, cancellationToken);
            }

            await _open.Task.WaitAsync(cancellationToken);
            lock (Urls)
            {
                Urls.Add(request.RequestUri!.AbsoluteUri);
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return response;
            }

            _cut = new CancellationTokenSource();
            var filtered = new FrameFilter(await response.Content.ReadAsStreamAsync(cancellationToken), this, _cut.Token);
            var content = new StreamContent(filtered);
            foreach (var header in response.Content.Headers)
            {
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = content;
            return response;
        }

        private static TaskCompletionSource CompletedGate()
        {
            var gate = new TaskCompletionSource();
            gate.SetResult();
            return gate;
        }

        /// <summary>Passes whole frames on, minus those dropped; a cut ends it with an IOException, as a reset would.</summary>
        private sealed class FrameFilter(Stream inner, Tap tap, CancellationToken cut) : Stream
        {
            private readonly StringBuilder _pending = new();
            private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
            private byte[] _out = [];
            private int _outAt;

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                var chunk = new byte[16 * 1024];
                while (_outAt == _out.Length)
                {
                    int read;
                    try
                    {
                        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, cut);
                        read = await inner.ReadAsync(chunk, linked.Token);
                    }
                    catch (OperationCanceledException) when (cut.IsCancellationRequested)
                    {
                        throw new IOException("cut by the test");
                    }

                    if (read == 0)
                    {
                        return 0;
                    }

                    var chars = new char[_decoder.GetCharCount(chunk, 0, read)];
                    _decoder.GetChars(chunk, 0, read, chars, 0);
                    _pending.Append(chars);
                    var text = _pending.ToString();
                    var end = text.LastIndexOf("\n\n", StringComparison.Ordinal);
                    if (end < 0)
                    {
                        continue;
                    }

                    _pending.Clear().Append(text[(end + 2)..]);
                    var kept = new StringBuilder();
                    foreach (var frame in text[..end].Split("\n\n"))
                    {
                        var id = frame.Split('\n').FirstOrDefault(l => l.StartsWith("id: ", StringComparison.Ordinal))?[4..];
                        bool dropped;
                        lock (tap._drop)
                        {
                            dropped = id is not null && tap._drop.Remove(id);
                        }

                        if (!dropped)
                        {
                            kept.Append(frame).Append("\n\n");
                        }
                    }

                    lock (tap._raw)
                    {
                        tap._raw.Append(kept);
                    }

                    (_out, _outAt) = (Encoding.UTF8.GetBytes(kept.ToString()), 0);
                }

                var count = Math.Min(buffer.Length, _out.Length - _outAt);
                _out.AsMemory(_outAt, count).CopyTo(buffer);
                _outAt += count;
                return count;
            }

            public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    inner.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}
