using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Herald.Cli.Tests.Draft;

/// <summary>
/// A Mercure 1.0 client written from the text of draft-dunglas-mercure-08 alone, sharing no code with Herald or its
/// clients: access tokens as the draft's "Token Validation" and "Authorization Details" describe them, the
/// subscription request of "Subscription", the publish form of "Publication", and resuming as in "Reconciliation".
/// Event streams are parsed per the HTML "Server-sent events" processing model the draft refers to.
/// </summary>
internal sealed class DraftMercureClient(HttpClient http, Uri hubUrl)
{
    /// <summary>
    /// "Token Validation": a JWT access token (RFC 9068: header <c>typ</c> <c>at+jwt</c>), HS256 here, with <c>iss</c>,
    /// <c>aud</c> (the hub's resource identifier), <c>exp</c>, <c>sub</c>, and one <c>authorization_details</c> entry
    /// of type <c>mercure</c> whose <c>topics</c> are matcher objects (<c>matchType</c> omitted means Exact).
    /// </summary>
    public static string AccessToken(string key, string issuer, string audience, string subject, string[] actions, params (string Match, string? MatchType)[] topics)
    {
        var header = new JsonObject { ["alg"] = "HS256", ["typ"] = "at+jwt" };
        var matchers = new JsonArray();
        foreach (var (match, type) in topics)
        {
            var matcher = new JsonObject { ["match"] = match };
            if (type is not null)
            {
                matcher["matchType"] = type;
            }

            matchers.Add(matcher);
        }

        var claims = new JsonObject
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["sub"] = subject,
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["exp"] = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds(),
            ["authorization_details"] = new JsonArray(new JsonObject
            {
                ["type"] = "mercure",
                ["actions"] = new JsonArray(actions.Select(a => (JsonNode)a!).ToArray()),
                ["topics"] = matchers,
            }),
        };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>
    /// "Subscription": <c>GET</c> the hub URL with one query parameter per matcher, the bare <c>match</c> for Exact and
    /// <c>match&lt;MatcherType&gt;</c> otherwise; the token in an <c>Authorization: Bearer</c> header; the last event
    /// id as the <c>Last-Event-ID</c> header and/or the <c>lastEventID</c> query parameter ("Reconciliation").
    /// </summary>
    public async Task<DraftStream> SubscribeAsync(IEnumerable<(string Parameter, string Value)> matchers, string? token, string? lastEventIdHeader = null, string? lastEventIdQuery = null)
    {
        var query = string.Join('&', matchers.Select(m => m.Parameter + "=" + Uri.EscapeDataString(m.Value)));
        if (lastEventIdQuery is not null)
        {
            query += "&lastEventID=" + Uri.EscapeDataString(lastEventIdQuery);
        }

        var request = new HttpRequestMessage(HttpMethod.Get, hubUrl + "?" + query);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (lastEventIdHeader is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventIdHeader);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new DraftStream(response, response.IsSuccessStatusCode ? await response.Content.ReadAsStreamAsync() : null);
    }

    /// <summary>
    /// "Publication": a form-encoded <c>POST</c> with exactly one <c>topic</c>; <c>private</c> marks the update private
    /// by its presence (<c>on</c>, as recommended). On success the body is the update's id.
    /// </summary>
    public async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> PublishAsync(string? token, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, hubUrl) { Content = new FormUrlEncodedContent(fields) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    public Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> PublishAsync(string token, string topic, string data, bool isPrivate = false)
    {
        var fields = new List<KeyValuePair<string, string>> { new("topic", topic), new("data", data) };
        if (isPrivate)
        {
            fields.Add(new("private", "on"));
        }

        return PublishAsync(token, fields);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>An event as the HTML event stream model dispatches it: the last event id, the type, the data.</summary>
internal sealed record DraftEvent(string LastEventId, string Type, string Data);

/// <summary>One subscription's response and the events parsed from its <c>text/event-stream</c> body.</summary>
internal sealed class DraftStream : IAsyncDisposable
{
    private readonly Channel<DraftEvent> _events = Channel.CreateUnbounded<DraftEvent>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    public DraftStream(HttpResponseMessage response, Stream? body)
    {
        Response = response;
        _pump = body is null ? Task.CompletedTask : PumpAsync(body);
    }

    public HttpResponseMessage Response { get; }

    /// <summary>The "Reconciliation" answer: the <c>Last-Event-ID</c> response header, if any.</summary>
    public string? AnsweredLastEventId => Response.Headers.TryGetValues("Last-Event-ID", out var values) ? values.Single() : null;

    /// <summary>The stream's last event id buffer (set by every <c>id</c> field, dispatched or not).</summary>
    public string LastEventId { get; private set; } = "";

    public async Task<DraftEvent> NextAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await _events.Reader.ReadAsync(limit.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Response.Dispose();
        try
        {
            await _pump;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>
    /// HTML "Interpreting an event stream": lines end with CRLF, LF or CR; a blank line dispatches; a line starting
    /// with a colon is a comment; "field: value" loses one leading space; data lines are joined with LF; an id with
    /// NUL is ignored; no data, no dispatch; the type defaults to <c>message</c>.
    /// </summary>
    private async Task PumpAsync(Stream body)
    {
        using var reader = new StreamReader(body, new UTF8Encoding(false));
        var data = new StringBuilder();
        var type = "";
        var hasData = false;
        var line = new StringBuilder();
        var buffer = new char[4096];
        var lastWasCr = false;
        int read;
        while ((read = await reader.ReadAsync(buffer, _stop.Token)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var c = buffer[i];
                if (c == '\n' && lastWasCr)
                {
                    lastWasCr = false;
                    continue;
                }

                lastWasCr = c == '\r';
                if (c is '\r' or '\n')
                {
                    Process(line.ToString());
                    line.Clear();
                }
                else
                {
                    line.Append(c);
                }
            }
        }

        _events.Writer.TryComplete();

        void Process(string text)
        {
            if (text.Length == 0)
            {
                if (hasData)
                {
                    _events.Writer.TryWrite(new DraftEvent(LastEventId, type.Length == 0 ? "message" : type, data.ToString()));
                }

                data.Clear();
                type = "";
                hasData = false;
                return;
            }

            if (text[0] == ':')
            {
                return;
            }

            var colon = text.IndexOf(':');
            var field = colon < 0 ? text : text[..colon];
            var value = colon < 0 ? "" : text[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "data":
                    data.Append(hasData ? "\n" : "").Append(value);
                    hasData = true;
                    break;
                case "event":
                    type = value;
                    break;
                case "id" when !value.Contains('\0'):
                    LastEventId = value;
                    break;
            }
        }
    }
}
