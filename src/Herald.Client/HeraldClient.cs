using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Options;

namespace Herald.Client;

/// <summary>
/// Subscribes to and publishes on a Herald (or any Mercure) hub. Subscriptions reconnect with jittered exponential
/// backoff, resume after the last id they delivered (each update once, in order), watch for silent streams, refresh
/// the token once when the hub refuses it, and, with a <see cref="HeraldClientOptions.TokenProvider"/>, replace a
/// stream whose token is about to expire with one under a new token before the hub closes it.
/// </summary>
public sealed class HeraldClient
{
    private const string LastEventIdHeader = "Last-Event-ID";

    /// <summary>Mercure 1.0's name for the hub's answer to a resume (the request header kept its name).</summary>
    private const string MercureLastEventIdHeader = "Mercure-Last-Event-ID";
    private const string Earliest = "earliest";

    /// <summary>Herald's notice that the stream closes at the token's expiry: not an update, and it carries no id.</summary>
    private const string TokenExpiringEvent = "herald.token-expiring";

    private readonly HttpClient _http;
    private readonly HeraldClientOptions _options;
    private readonly Func<double> _random;

    public HeraldClient(HttpClient http, IOptions<HeraldClientOptions> options)
        : this(http, options.Value)
    {
    }

    public HeraldClient(HttpClient http, HeraldClientOptions options)
        : this(http, options, Random.Shared.NextDouble)
    {
    }

    internal HeraldClient(HttpClient http, HeraldClientOptions options, Func<double> random)
    {
        _http = http;
        _options = options;
        _random = random;
        if (options.HubUrl is null)
        {
            throw new ArgumentException("HeraldClientOptions.HubUrl is required", nameof(options));
        }
    }

    internal HeraldClientOptions Options => _options;

    /// <summary>
    /// Updates on the topics, from after <paramref name="lastEventId"/> when given, until cancelled. Throws
    /// <see cref="HeraldException"/> when the hub refuses the subscription for good (400, 404, or 401/403 twice).
    /// </summary>
    public IAsyncEnumerable<HeraldUpdate> SubscribeAsync(
        IEnumerable<string> topics,
        string? lastEventId = null,
        SubscribeOptions? options = null,
        CancellationToken cancellationToken = default) =>
        SubscribeAsync(topics, lastEventId, options, options?.Deltas ?? false, cancellationToken);

    /// <summary>As the public overload; <paramref name="deltas"/>: ask for deltas (docs/deltas.md) and apply them.</summary>
    internal async IAsyncEnumerable<HeraldUpdate> SubscribeAsync(
        IEnumerable<string> topics,
        string? lastEventId,
        SubscribeOptions? options,
        bool deltas,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        topics = [.. topics];
        var url = SubscribeUrl(topics, options);

        // One exact topic needs one base (two: a plain update between two values); selectors that match more keep more.
        var single = topics.Count() == 1 && (options?.MatchType ?? MatchType.Exact) == MatchType.Exact && !topics.First().Contains('{') && topics.First() != "*";
        var decoder = deltas ? new DeltaDecoder(single ? 2 : 64) : null;
        if (decoder is not null)
        {
            url = new Uri(url.AbsoluteUri + "&" + Deltas.JsonDelta.QueryParameter + "=" + Uri.EscapeDataString(Deltas.JsonDelta.AllFormats));
        }

        var backoff = new Backoff(_options.BackoffBase, _options.BackoffCap, _random);
        var refusedOnce = false;
        string? renewed = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (stream, refusal, failure) = await ConnectAsync(url, lastEventId, options, renewed, cancellationToken).ConfigureAwait(false);
            renewed = null;
            if (refusal is not null)
            {
                // A refused token gets one more chance, with a fresh one from the provider; a second refusal is final.
                if (refusal.StatusCode is 401 or 403 && !refusedOnce)
                {
                    refusedOnce = true;
                    continue;
                }

                throw refusal;
            }

            Exception? ended = failure;
            if (stream is not null)
            {
                refusedOnce = false;
                var opened = Stopwatch.GetTimestamp();
                var delivered = false;
                var resync = false;
                var fields = decoder is null ? null : new DeltaFieldStream(stream);
                var parser = SseParser.Create(fields ?? stream, static (_, bytes) => Encoding.UTF8.GetString(bytes));
                await using var events = parser.EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
                while (true)
                {
                    SseItem<string> item;
                    try
                    {
                        if (!await events.MoveNextAsync().ConfigureAwait(false))
                        {
                            break;
                        }

                        item = events.Current;
                    }
                    catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                    {
                        ended = e;
                        break;
                    }
                    finally
                    {
                        lastEventId = CursorOf(parser) ?? lastEventId;
                    }

                    if (item.ReconnectionInterval is { } retry)
                    {
                        backoff.RaiseBase(retry);
                    }

                    if (item.EventType == TokenExpiringEvent)
                    {
                        if (options?.OnTokenExpiring is { } onExpiring && ExpiryOf(item.Data) is { } expires)
                        {
                            onExpiring(expires);
                        }

                        // The new token is fetched while this stream still runs; then it is replaced at once, resuming
                        // from the last id. Without one, the hub closes it at exp and the next attempt asks again.
                        renewed = await RenewAsync(cancellationToken).ConfigureAwait(false);
                        if (renewed is not null)
                        {
                            break;
                        }

                        continue;
                    }

                    HeraldUpdate? update = new HeraldUpdate(item.EventId, item.EventType, item.Data, item.ReconnectionInterval);
                    if (decoder is not null)
                    {
                        update = decoder.Decode(update, fields!.TakeDelta(item.EventId));
                    }

                    if (update is null)
                    {
                        // A patch against a value this client does not have: reconnect from the last id, for the whole value.
                        resync = true;
                        break;
                    }

                    if (item.EventId is { Length: > 0 } id)
                    {
                        lastEventId = id;
                    }

                    delivered = true;
                    yield return update;
                }

                await stream.DisposeAsync().ConfigureAwait(false);
                if (delivered || Stopwatch.GetElapsedTime(opened) >= HeraldClientOptions.HealthyConnection)
                {
                    backoff.Reset();
                }

                if (renewed is not null || resync)
                {
                    continue;
                }
            }

            var delay = backoff.Next();
            options?.OnReconnecting?.Invoke(ended, delay);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Follows a retained topic's current value, each update's data read by <paramref name="parse"/> (for JSON:
    /// <c>data =&gt; JsonSerializer.Deserialize&lt;Bundle&gt;(data)!</c>). Dispose the result to stop.
    /// </summary>
    public HeraldCurrentValue<T> Follow<T>(string topic, Func<string, T> parse, SubscribeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(parse);
        return new HeraldCurrentValue<T>(this, topic, parse, options);
    }

    /// <summary>Follows a retained topic's current value as the text of its latest update.</summary>
    public HeraldCurrentValue<string> Follow(string topic, SubscribeOptions? options = null) => Follow(topic, static data => data, options);

    /// <summary>
    /// Publishes and returns the update's id. Refusals throw <see cref="HeraldException"/> with the hub's reason;
    /// transient failures are retried only when the update has an id, since only then can a retry not duplicate it.
    /// </summary>
    public async Task<string> PublishAsync(HeraldPublication update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var attempts = update.Id is null ? 1 : Math.Max(1, _options.PublishAttempts);
        var backoff = new Backoff(_options.BackoffBase, _options.BackoffCap, _random);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await PublishOnceAsync(update, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < attempts && IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<string> PublishOnceAsync(HeraldPublication update, CancellationToken cancellationToken)
    {
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var topic in update.Topics)
        {
            fields.Add(new("topic", topic));
        }

        fields.Add(new("data", update.Data));
        if (update.Private)
        {
            fields.Add(new("private", "on"));
        }

        if (update.Retain)
        {
            fields.Add(new("retain", "on"));
        }

        if (update.Id is not null)
        {
            fields.Add(new("id", update.Id));
        }

        if (update.Type is not null)
        {
            fields.Add(new("type", update.Type));
        }

        if (update.Retry is { } retry)
        {
            fields.Add(new("retry", ((long)retry.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _options.HubUrl) { Content = new FormUrlEncodedContent(fields) };
        await AuthorizeAsync(request, cancellationToken).ConfigureAwait(false);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
        if (!response.IsSuccessStatusCode)
        {
            throw new HeraldException((int)response.StatusCode, Reason(response, body));
        }

        return body;
    }

    private async Task<(Stream? Stream, HeraldException? Refusal, Exception? Failure)> ConnectAsync(
        Uri url, string? lastEventId, SubscribeOptions? options, string? renewedToken, CancellationToken cancellationToken)
    {
        // Ids may be non-ASCII (IRIs), which HttpClient will not put in a header by default: those go in the query,
        // percent-encoded UTF-8, which every Mercure hub reads as well.
        var nonAscii = lastEventId is not null && !System.Text.Ascii.IsValid(lastEventId);
        var resumeParameter = options?.Protocol == MercureProtocol.V1 ? "last_event_id" : "lastEventID";
        using var request = new HttpRequestMessage(HttpMethod.Get, nonAscii ? new Uri(url.AbsoluteUri + "&" + resumeParameter + "=" + Uri.EscapeDataString(lastEventId!)) : url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null && !nonAscii)
        {
            request.Headers.TryAddWithoutValidation(LastEventIdHeader, lastEventId);
        }

        HttpResponseMessage response;
        try
        {
            if (renewedToken is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", renewedToken);
            }
            else
            {
                await AuthorizeAsync(request, cancellationToken).ConfigureAwait(false);
            }

            // The headers must come within the watchdog period too: a hub that accepts and then hangs is dead to us.
            using var headers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            headers.CancelAfter(_options.Watchdog);
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or HeraldException && !cancellationToken.IsCancellationRequested)
        {
            return (null, null, e);
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                var reason = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
                var refusal = new HeraldException((int)response.StatusCode, Reason(response, reason));
                return response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.BadRequest
                    ? (null, refusal, null)
                    : (null, null, refusal);
            }
        }

        // Asking for "earliest" and being answered "earliest" is the caller getting what it asked for, not a gap.
        if (lastEventId is not (null or Earliest)
            && (response.Headers.TryGetValues(MercureLastEventIdHeader, out var echoed) || response.Headers.TryGetValues(LastEventIdHeader, out echoed))
            && echoed.FirstOrDefault() == Earliest)
        {
            options?.OnGap?.Invoke(lastEventId);
        }

        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return (new WatchdogStream(body, _options.Watchdog, cancellationToken), null, null);
    }

    /// <summary>The <c>expires</c> of a <c>herald.token-expiring</c> payload; null when it is not the JSON Herald sends.</summary>
    /// <summary>
    /// The hub cursor of an <c>id:</c>-only frame (a retained snapshot ends with one), which dispatches no event but is
    /// the resume point: the parser's last id when it is a hub cursor. Only the hub sends those, and only alone, so an
    /// id of an update whose frame was cut off (the parser records ids before the frame ends) is never taken.
    /// </summary>
    private static string? CursorOf(SseParser<string> parser) =>
        parser.LastEventId.StartsWith(HubCursorPrefix, StringComparison.Ordinal) ? parser.LastEventId : null;

    /// <summary>Starts every hub cursor; no update id may.</summary>
    private const string HubCursorPrefix = "herald-cursor:";

    private static DateTimeOffset? ExpiryOf(string data)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(data);
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && json.RootElement.TryGetProperty("expires", out var expires)
                && expires.ValueKind == System.Text.Json.JsonValueKind.String
                && DateTimeOffset.TryParse(expires.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
                ? at
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>A new token from the provider for the stream about to expire; null when there is none to be had.</summary>
    private async Task<string?> RenewAsync(CancellationToken cancellationToken)
    {
        if (_options.TokenProvider is not { } provider)
        {
            return null;
        }

        try
        {
            var token = await provider(cancellationToken).ConfigureAwait(false);
            return string.IsNullOrEmpty(token) ? null : token;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private async ValueTask AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = _options.TokenProvider is { } provider
            ? await provider(cancellationToken).ConfigureAwait(false)
            : _options.Token;
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else if (_options.TokenProvider is not null)
        {
            // Going anonymous would silently lose every private update (or be refused): retried like a failure instead.
            throw new HeraldException(0, "the token provider returned no token: nothing is sent without one");
        }
    }

    private Uri SubscribeUrl(IEnumerable<string> topics, SubscribeOptions? options)
    {
        var parameter = (options?.Protocol ?? MercureProtocol.Legacy, options?.MatchType ?? MatchType.Exact) switch
        {
            (MercureProtocol.Legacy, MatchType.Exact) => "topic",
            (MercureProtocol.Legacy, _) => throw new ArgumentException("a MatchType needs Protocol = MercureProtocol.V1: Mercure 0.x selectors have no matcher types", nameof(options)),
            (MercureProtocol.V1, MatchType.UrlPattern) => "matchURLPattern",
            (MercureProtocol.V1, MatchType.Exact) => "match",
            _ => throw new ArgumentOutOfRangeException(nameof(options), "unknown Protocol or MatchType"),
        };
        var query = new StringBuilder();
        foreach (var topic in topics)
        {
            query.Append(query.Length == 0 ? '?' : '&').Append(parameter).Append('=').Append(Uri.EscapeDataString(topic));
        }

        if (query.Length == 0)
        {
            throw new ArgumentException("subscribe to at least one topic", nameof(topics));
        }

        return new Uri(_options.HubUrl + query.ToString());
    }

    private static bool IsTransient(Exception e) =>
        e is HttpRequestException or TaskCanceledException
        || e is HeraldException { StatusCode: >= 500 or 429 or 0 };

    private static string Reason(HttpResponseMessage response, string body) =>
        body.Length > 0 ? body : $"the hub answered {(int)response.StatusCode} {response.ReasonPhrase}";
}
