using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.ServerSentEvents;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace Herald.Cli.Probe;

/// <summary>
/// One connection to the endpoint, timed step by step. DNS, TCP and TLS happen in our own connect callback so each
/// is timed; for https the TLS handshake is done there too and the request sent as plain HTTP/1.1 over it (the
/// Host header keeps the original authority), which is what an EventSource over HTTP/1.1 does.
/// </summary>
internal sealed class ProbeAttempt
{
    /// <summary>Enough of an error body to show the hub's reason or recognise an HTML page.</summary>
    private const int BodyExcerptChars = 300;

    /// <summary>Headers worth showing: the ones that decide whether events flow through proxies.</summary>
    public static readonly string[] InterestingHeaders =
        ["Content-Type", "Cache-Control", "Content-Encoding", "X-Accel-Buffering", "Transfer-Encoding", "Connection", "WWW-Authenticate"];

    private readonly ProbeOptions _options;
    private readonly ProbeProgress _progress;
    private long _origin = Stopwatch.GetTimestamp();
    private bool _connecting;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _marker;
    private long _markerSentAt;

    public ProbeAttempt(ProbeOptions options, int index, ProbeProgress progress)
    {
        _options = options;
        _progress = progress;
        Result = new AttemptResult { Attempt = index };
    }

    public AttemptResult Result { get; }

    /// <summary>Completes once the response headers arrived or the attempt failed: the marker may be published then.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Tells the attempt which data to look for and when it was sent (a <see cref="Stopwatch"/> timestamp).</summary>
    public void ExpectMarker(string marker, long sentAt)
    {
        _markerSentAt = sentAt;
        Volatile.Write(ref _marker, marker);
    }

    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            await ObserveAsync(stop).ConfigureAwait(false);
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException)
        {
            // The probe's window ended: that is the normal way out of a healthy stream.
        }
        catch (Exception e)
        {
            Classify(e, stop);
        }
        finally
        {
            Result.EndedMs = TimedStream.Since(_origin);
            if (!Result.IsStream || Result.EndedByServer)
            {
                _progress.AttemptFailed();
            }

            _ready.TrySetResult();
        }
    }

    private async Task ObserveAsync(CancellationToken stop)
    {
        var target = _options.SubscribeUrl;
        var tls = target.Scheme == Uri.UriSchemeHttps;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = (context, token) => ConnectAsync(context.DnsEndPoint, tls, token),
            ConnectTimeout = ProbeOptions.ConnectTimeout,
            AllowAutoRedirect = true,
            UseCookies = false,
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var requestUri = tls ? new UriBuilder(target) { Scheme = Uri.UriSchemeHttp, Port = target.Port }.Uri : target;
        using var request = new HttpRequestMessage(HttpMethod.Get, requestUri) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Host = target.IsDefaultPort ? target.Host : target.Authority;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        if (_options.Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
        }

        foreach (var (name, value) in _options.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop).ConfigureAwait(false);
        Result.HeadersMs = TimedStream.Since(_origin);
        Result.Status = (int)response.StatusCode;
        Result.HttpVersion = "HTTP/" + response.Version.ToString(2);
        foreach (var name in InterestingHeaders)
        {
            if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
            {
                Result.Headers[name] = string.Join(", ", values);
            }
        }

        if (response.Headers.TransferEncodingChunked == true)
        {
            Result.Headers["Transfer-Encoding"] = "chunked";
        }

        await using var body = new TimedStream(await response.Content.ReadAsStreamAsync(stop).ConfigureAwait(false), _origin, _progress.CommentSeen);
        if (!Result.IsStream)
        {
            _ready.TrySetResult();
            Result.BodyExcerpt = await ReadExcerptAsync(body, stop).ConfigureAwait(false);
            Result.FirstByteMs = body.ChunkTimes.Count > 0 ? body.ChunkTimes[0] : null;
            return;
        }

        _ready.TrySetResult();
        _progress.StreamOpened();
        var itemTimes = Result.ItemTimes;
        try
        {
            await foreach (var item in SseParser.Create(body).EnumerateAsync(stop).ConfigureAwait(false))
            {
                var at = body.LastReadTime;
                Result.Events++;
                _progress.EventSeen();
                itemTimes.Add(at);
                Result.FirstEventMs ??= at;
                if (Volatile.Read(ref _marker) is { } marker && item.Data == marker && Result.MarkerLatencyMs is null)
                {
                    Result.MarkerLatencyMs = at - Stopwatch.GetElapsedTime(_origin, _markerSentAt).TotalMilliseconds;
                }
            }

            Result.EndedByServer = !stop.IsCancellationRequested;
        }
        finally
        {
            _progress.StreamClosed();
            Result.Bytes = body.Bytes;
            Result.Comments = body.CommentTimes.Count;
            Result.ChunkTimes = body.ChunkTimes;
            Result.FirstByteMs = body.ChunkTimes.Count > 0 ? body.ChunkTimes[0] : null;
            itemTimes.AddRange(body.CommentTimes);
            itemTimes.Sort();
        }
    }

    private async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool tls, CancellationToken token)
    {
        if (!_connecting)
        {
            // Times count from the moment the connection starts: the client's own warm-up (JIT, handler setup) is not the server's.
            _connecting = true;
            _origin = Stopwatch.GetTimestamp();
        }

        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, token).ConfigureAwait(false);
        Result.DnsMs = TimedStream.Since(_origin);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, token).ConfigureAwait(false);
            Result.ConnectMs = TimedStream.Since(_origin);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (!tls)
            {
                return stream;
            }

            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = endpoint.Host,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                },
                token).ConfigureAwait(false);
            Result.TlsMs = TimedStream.Since(_origin);
            return ssl;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<string> ReadExcerptAsync(Stream body, CancellationToken stop)
    {
        var buffer = new byte[BodyExcerptChars * 4];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(filled), stop).ConfigureAwait(false)) > 0)
        {
            filled += read;
        }

        var text = Encoding.UTF8.GetString(buffer, 0, filled);
        return text.Length > BodyExcerptChars ? text[..BodyExcerptChars] : text;
    }

    private void Classify(Exception e, CancellationToken stop)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is HttpRequestException or IOException)
        {
            inner = inner.InnerException;
        }

        (Result.Failure, Result.FailureMessage) = inner switch
        {
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => ("connection-refused", inner.Message),
            SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted } => ("connection-reset", inner.Message),
            SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } => ("dns-failure", inner.Message),
            SocketException { SocketErrorCode: SocketError.TimedOut } => ("timeout", inner.Message),
            AuthenticationException => ("tls-failure", inner.Message),
            TimeoutException or OperationCanceledException when !stop.IsCancellationRequested => ("timeout", "no connection within " + ProbeOptions.ConnectTimeout.TotalSeconds + " s"),
            _ when Result.HeadersMs is not null => ("connection-reset", inner.Message),
            _ => ("error", inner.Message),
        };

        if (Result.HeadersMs is not null)
        {
            // The stream broke after it started: the server (or a proxy) dropped it.
            Result.EndedByServer = true;
        }
    }
}
