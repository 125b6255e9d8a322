using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Herald.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Bridges;

/// <summary>
/// One bridge's loop, on a task of its own so a slow upstream delays nothing else: while the topic is wanted and this
/// node holds its lease, a conditional GET every interval; a changed body is published as the topic's retained update.
/// Errors, timeouts, <c>5xx</c> and HTML answers are reported (never published) and back off exponentially with jitter.
/// </summary>
internal sealed partial class BridgePoller
{
    /// <summary>How often an idle bridge looks for interest: the most a first subscriber waits before the fetch starts.</summary>
    public static readonly TimeSpan InterestCheck = TimeSpan.FromMilliseconds(200);

    /// <summary>5 min: the longest back-off; an upstream down for hours is still retried a few times an hour.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly HeraldBridge _bridge;
    private readonly HttpClient _http;
    private readonly IHeraldPublisher _publisher;
    private readonly IHistoryStore _store;
    private readonly ITopicInterest _interest;
    private readonly IBridgeLease _lease;
    private readonly HeraldMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly long _maxBody;
    private readonly ILogger _logger;
    private string? _etag;
    private string? _lastModified;
    private string? _lastBody;
    private bool _holding;

    public BridgePoller(HeraldBridge bridge, HttpClient http, IHeraldPublisher publisher, IHistoryStore store, ITopicInterest interest, IBridgeLease lease, HeraldMetrics metrics, TimeProvider time, long maxBody, ILogger logger)
    {
        _bridge = bridge;
        _http = http;
        _publisher = publisher;
        _store = store;
        _interest = interest;
        _lease = lease;
        _metrics = metrics;
        _time = time;
        _maxBody = maxBody;
        _logger = logger;
        Status = new BridgeStatus(bridge);
    }

    public BridgeStatus Status { get; }

    /// <summary>Held long enough to cover one interval, one slow request and a late tick; renewed at every request.</summary>
    private TimeSpan LeaseDuration => (_bridge.Interval * 2) + _bridge.Timeout;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var due = _time.GetTimestamp();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (!_interest.IsWanted(_bridge.Topic))
                {
                    await LetGoAsync(stoppingToken).ConfigureAwait(false);
                    await Task.Delay(InterestCheck, _time, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                var wait = _time.GetElapsedTime(_time.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    // Interest is looked at again meanwhile, so the last subscriber leaving stops polling within a check.
                    await Task.Delay(wait < InterestCheck ? wait : InterestCheck, _time, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                var next = await TurnAsync(stoppingToken).ConfigureAwait(false);
                due = _time.GetTimestamp() + (long)(next.TotalSeconds * _time.TimestampFrequency);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await LetGoAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>One request when this node holds the lease; returns how long until the next.</summary>
    private async Task<TimeSpan> TurnAsync(CancellationToken stoppingToken)
    {
        try
        {
            _holding = await _lease.TryHoldAsync(_bridge.Topic, LeaseDuration, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HistoryStoreException or HttpRequestException)
        {
            // Without the store nothing could be published anyway.
            _holding = false;
            return Backoff(Status.Failed("cannot take the lease: " + e.Message));
        }

        Status.SetPolling(_holding);
        if (!_holding)
        {
            // Another node polls it; its updates reach this node's subscribers through the store.
            return _bridge.Interval;
        }

        var outcome = await FetchAsync(stoppingToken).ConfigureAwait(false);
        _metrics.BridgeRequest(_bridge.Topic, outcome.Metric);
        if (outcome.Error is { } error)
        {
            var failures = Status.Failed(error);
            if (failures == 1)
            {
                LogUpstreamFailed(_logger, _bridge.Topic, Status.Upstream, error);
            }

            return Backoff(failures);
        }

        if (Status.ConsecutiveErrors > 0)
        {
            LogUpstreamRecovered(_logger, _bridge.Topic, Status.ConsecutiveErrors);
        }

        Status.Succeeded(outcome.Metric == Published, _time.GetUtcNow());
        return _bridge.Interval;
    }

    private const string Published = "published";
    private const string Unchanged = "unchanged";
    private const string Error = "error";

    private async Task<(string Metric, string? Error)> FetchAsync(CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_bridge.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, _bridge.Url);
        foreach (var (name, value) in _bridge.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (_etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", _etag);
        }

        if (_lastModified is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Modified-Since", _lastModified);
        }

        string body;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return (Unchanged, null);
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (Error, $"the upstream answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (IsHtml(response.Content.Headers.ContentType))
            {
                return (Error, "the upstream answered an HTML page (an error or login page?), not a document");
            }

            if (response.Content.Headers.ContentLength > _maxBody)
            {
                return (Error, $"the upstream's body of {response.Content.Headers.ContentLength} bytes is over the update limit of {_maxBody} (MaxRequestBodySize)");
            }

            var read = await ReadLimitedAsync(response.Content, timeout.Token).ConfigureAwait(false);
            if (read is null)
            {
                return (Error, $"the upstream's body is over the update limit of {_maxBody} bytes (MaxRequestBodySize)");
            }

            body = read;
            if (LooksLikeHtml(body))
            {
                return (Error, "the upstream answered an HTML page (an error or login page?), not a document");
            }

            // Kept only from a good answer: a validator of an error page must not make the real document "not modified".
            _etag = response.Headers.ETag?.ToString();
            _lastModified = response.Content.Headers.LastModified?.ToString("R");
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return (Error, $"the upstream did not answer within {_bridge.Timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e)
        {
            return (Error, "the upstream cannot be reached: " + e.Message);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or DecoderFallbackException)
        {
            return (Error, "the upstream's answer cannot be read: " + e.Message);
        }

        return await PublishIfChangedAsync(body, stoppingToken).ConfigureAwait(false);
    }

    private async Task<(string Metric, string? Error)> PublishIfChangedAsync(string body, CancellationToken stoppingToken)
    {
        try
        {
            // After a restart, or a lease taken over from another node, the store knows the current value.
            _lastBody ??= (await _store.ReadRetainedAsync([_bridge.Topic], stoppingToken).ConfigureAwait(false)) is [var current, ..] ? current.Update.Data : null;
            if (body == _lastBody)
            {
                return (Unchanged, null);
            }

            await _publisher.PublishAsync(
                new Update { Topics = [_bridge.Topic], Data = body, Type = _bridge.Type, Private = _bridge.Private, Retain = true },
                stoppingToken).ConfigureAwait(false);
            _lastBody = body;
            return (Published, null);
        }
        catch (Exception e) when (e is HeraldPublishException or HistoryStoreException)
        {
            // Not remembered as published: the next answer tries again.
            _etag = null;
            _lastModified = null;
            return (Error, "the update was not stored: " + e.Message);
        }
    }

    /// <summary>The body as text, or null when it is over the limit (read no further than one byte past it).</summary>
    private async Task<string?> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > _maxBody)
            {
                return null;
            }
        }

        var encoding = content.Headers.ContentType?.CharSet is { Length: > 0 } charset && !charset.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            ? TryEncoding(charset.Trim('"'))
            : null;
        return (encoding ?? new UTF8Encoding(false)).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static Encoding? TryEncoding(string name)
    {
        try
        {
            return Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool IsHtml(MediaTypeHeaderValue? type) =>
        type?.MediaType is { } media && (media.Equals("text/html", StringComparison.OrdinalIgnoreCase) || media.Equals("application/xhtml+xml", StringComparison.OrdinalIgnoreCase));

    /// <summary>An HTML page served under another type (a proxy's error page often is).</summary>
    private static bool LooksLikeHtml(string body)
    {
        var start = body.AsSpan().TrimStart();
        return start.StartsWith("<!doctype html", StringComparison.OrdinalIgnoreCase) || start.StartsWith("<html", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Doubling from the interval up to <see cref="MaxBackoff"/>, drawn from its upper half: nodes and bridges that failed together spread out.</summary>
    private TimeSpan Backoff(int failures)
    {
        var ceiling = Math.Min(_bridge.Interval.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20)), Math.Max(MaxBackoff.TotalMilliseconds, _bridge.Interval.TotalMilliseconds));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    private async Task LetGoAsync(CancellationToken cancellationToken)
    {
        Status.SetPolling(false);
        if (!_holding)
        {
            return;
        }

        _holding = false;
        try
        {
            await _lease.ReleaseAsync(_bridge.Topic, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HistoryStoreException or OperationCanceledException)
        {
            // The lease expires by itself.
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Bridge of {Topic} ({Upstream}) failed: {Reason}; retrying with backoff")]
    private static partial void LogUpstreamFailed(ILogger logger, string topic, string upstream, string reason);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Bridge of {Topic} recovered after {Failures} failed requests")]
    private static partial void LogUpstreamRecovered(ILogger logger, string topic, int failures);
}
