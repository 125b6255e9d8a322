using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;

namespace Herald.Tests.Infrastructure;

/// <summary>Requests the happy-path helpers of <see cref="TestHub"/> cannot make: any body, any header, any token place.</summary>
public static class HubRequests
{
    public static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    /// <summary>POSTs <paramref name="content"/> to the hub with <c>Authorization: Bearer</c> when a token is given.</summary>
    public static Task<HttpResponseMessage> PostRawAsync(this TestHub hub, HttpContent? content, string? token, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, TestHub.HubPath) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        configure?.Invoke(request);
        return hub.Client.SendAsync(request);
    }

    /// <summary>GETs the hub and waits for headers only; the caller reads (or disposes) the body.</summary>
    public static Task<HttpResponseMessage> GetRawAsync(this TestHub hub, string query, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, TestHub.HubPath + "?" + query);
        configure?.Invoke(request);
        return hub.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(SseStream.WaitLimit);
    }

    public static string TopicQuery(params string[] topics) => string.Join("&", topics.Select(t => "topic=" + Uri.EscapeDataString(t)));

    /// <summary>A client for the hub whose every request is changed by <paramref name="rewrite"/> (a cookie, a query token…).</summary>
    public static HttpClient ClientWith(this TestHub hub, Action<HttpRequestMessage> rewrite) =>
        new(new Rewriter(rewrite) { InnerHandler = new SocketsHttpHandler { UseCookies = false } })
        {
            BaseAddress = hub.BaseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>Appends <c>name=value</c> to the request's query string.</summary>
    public static void AddQuery(HttpRequestMessage request, string name, string value)
    {
        var builder = new UriBuilder(request.RequestUri!);
        var extra = Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(value);
        builder.Query = string.IsNullOrEmpty(builder.Query) ? extra : builder.Query.TrimStart('?') + "&" + extra;
        request.RequestUri = builder.Uri;
    }

    /// <summary>
    /// Publishes a public marker on <paramref name="topic"/> and reads <paramref name="stream"/> up to it; returns the events
    /// that arrived before it. Since the hub delivers in store order, anything absent here was never dispatched.
    /// </summary>
    public static async Task<List<SseItem<string>>> EventsBeforeMarkerAsync(this TestHub hub, SseStream stream, string topic)
    {
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        await hub.PublishAsync(topic, marker);
        var seen = await stream.ReadUntilDataAsync(marker);
        seen.RemoveAt(seen.Count - 1);
        return seen;
    }

    /// <summary>Replays everything retained (<c>Last-Event-ID: earliest</c>) up to a fresh public marker.</summary>
    public static async Task<(List<SseItem<string>> Events, string Raw)> ReplayAllAsync(this TestHub hub, string[] topics, string? token, string markerTopic, bool anonymous = false)
    {
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        await hub.PublishAsync(markerTopic, marker);
        await using var replay = await hub.SubscribeAsync(topics, token, lastEventId: "earliest", anonymous: anonymous);
        Assert.Equal("earliest", replay.Response.Headers.GetValues("Last-Event-ID").Single());
        var seen = await replay.ReadUntilDataAsync(marker);
        seen.RemoveAt(seen.Count - 1);
        return (seen, replay.RawText);
    }

    public static async Task<string> BodyAsync(this HttpResponseMessage response) => await response.Content.ReadAsStringAsync();

    /// <summary>A refusal body is one line of text: the reason, then a newline.</summary>
    public static async Task<string> AssertRefusedAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var reason = body.TrimEnd('\n');
        Assert.False(string.IsNullOrWhiteSpace(reason), "the refusal has no reason");
        Assert.DoesNotContain('\n', reason);
        Assert.DoesNotContain('\r', reason);
        return reason;
    }

    private sealed class Rewriter(Action<HttpRequestMessage> rewrite) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            rewrite(request);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
