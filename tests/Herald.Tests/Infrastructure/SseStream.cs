using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Threading.Channels;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// A subscription read with the BCL's <see cref="SseParser"/>: events arrive on a channel the test awaits.
/// A raw copy of every byte is kept too, for assertions on comments and framing.
/// </summary>
public sealed class SseStream : IAsyncDisposable
{
    /// <summary>Generous: a wait this long means the event is not coming, not that the machine is slow.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private readonly Channel<SseItem<string>> _events = Channel.CreateUnbounded<SseItem<string>>();
    private readonly CancellationTokenSource _stop = new();
    private readonly RecordingStream _raw;
    private readonly Task _pump;

    private SseStream(HttpResponseMessage response, Stream body)
    {
        Response = response;
        _raw = new RecordingStream(body);
        _pump = Task.Run(PumpAsync);
    }

    public HttpResponseMessage Response { get; }

    /// <summary>Completes when the hub ends the stream.</summary>
    public Task Completion => _pump;

    /// <summary>Every byte received so far, as text.</summary>
    public string RawText => _raw.Text;

    public static Task<SseStream> OpenAsync(HttpClient client, string path, string[] topics, string? token, string? lastEventId, string? extraQuery = null) =>
        OpenQueryAsync(client, path, string.Join("&", topics.Select(t => "topic=" + Uri.EscapeDataString(t))) + (extraQuery is null ? "" : "&" + extraQuery), token, lastEventId);

    /// <summary>Opens a subscription with a raw query string (Mercure 1.0 <c>match</c> parameters, say).</summary>
    public static async Task<SseStream> OpenQueryAsync(HttpClient client, string path, string query, string? token, string? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(WaitLimit);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.Dispose();
            throw new HttpRequestException($"subscribe failed: {(int)response.StatusCode} {body}", null, response.StatusCode);
        }

        return new SseStream(response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next event, or a failure if none arrives within <see cref="WaitLimit"/>.</summary>
    public async Task<SseItem<string>> NextAsync()
    {
        using var timeout = new CancellationTokenSource(WaitLimit);
        try
        {
            return await _events.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no event within {WaitLimit}; received so far:\n{RawText}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the stream ended; received:\n{RawText}");
        }
    }

    /// <summary>Reads events until one has the given data; returns every event read, that one included.</summary>
    public async Task<List<SseItem<string>>> ReadUntilDataAsync(string data)
    {
        var seen = new List<SseItem<string>>();
        while (true)
        {
            var item = await NextAsync();
            seen.Add(item);
            if (item.Data == data)
            {
                return seen;
            }
        }
    }

    /// <summary>True when an event is already waiting (it arrived before a later marker, for instance).</summary>
    public bool TryTake(out SseItem<string> item) => _events.Reader.TryRead(out item);

    /// <summary>Waits until the raw stream contains <paramref name="text"/> (for comments, which the parser drops).</summary>
    public Task WaitForRawAsync(string text) => _raw.WaitForAsync(text, WaitLimit);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        Response.Dispose();
        try
        {
            await _pump.WaitAsync(WaitLimit);
        }
        catch (Exception)
        {
            // The pump ends with whatever error closing the connection raised.
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var item in SseParser.Create(_raw).EnumerateAsync(_stop.Token))
            {
                _events.Writer.TryWrite(item);
            }
        }
        finally
        {
            _events.Writer.TryComplete();
            _raw.MarkEnded();
        }
    }

    /// <summary>Passes reads through while keeping a copy, and lets tests await a piece of raw text.</summary>
    private sealed class RecordingStream(Stream inner) : Stream
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _lock = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Text
        {
            get
            {
                lock (_lock)
                {
                    return _text.ToString();
                }
            }
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void MarkEnded() => Signal();

        public async Task WaitForAsync(string text, TimeSpan limit)
        {
            var deadline = DateTime.UtcNow + limit;
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    if (_text.ToString().Contains(text, StringComparison.Ordinal))
                    {
                        return;
                    }

                    changed = _changed.Task;
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
                {
                    throw new TimeoutException($"\"{text}\" not received within {limit}; received:\n{Text}");
                }
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            lock (_lock)
            {
                _text.Append(Encoding.UTF8.GetString(buffer.Span[..read]));
            }

            Signal();
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private void Signal()
        {
            TaskCompletionSource previous;
            lock (_lock)
            {
                previous = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            previous.TrySetResult();
        }
    }
}
