namespace Herald.Cli.Probe;

/// <summary>A named problem: what was seen, why it hurts, and the usual fix.</summary>
internal sealed record Diagnosis(string Code, string Title, string Explanation, string Fix)
{
    public string? Detail { get; init; }

    /// <summary>Which attempts showed it (1-based).</summary>
    public List<int> Attempts { get; init; } = [];

    public static readonly Diagnosis NotFound = new(
        "not-found", "Not found",
        "The URL answers 404/405: every page that opens this stream waits, retries and fails.",
        "Check the path (Mercure hubs serve /.well-known/mercure) and that the route accepts GET.");

    public static readonly Diagnosis AuthRefused = new(
        "auth-refused", "Authorization refused",
        "The server answered 401/403: the token is missing, expired, signed with another key, or does not grant the topic.",
        "Send a valid token (--token, a cookie or ?authorization=) whose claims cover the topics, or enable anonymous access.");

    public static readonly Diagnosis HttpError = new(
        "http-error", "HTTP error",
        "The server answered with an error instead of a stream.",
        "Look at the server's logs for this request; the status and body are shown above.");

    public static readonly Diagnosis WrongContentType = new(
        "wrong-content-type", "Wrong content type",
        "The answer is not text/event-stream (often an HTML error or login page from a proxy or framework fallback): EventSource rejects it.",
        "Route the URL to the SSE endpoint itself and answer with Content-Type: text/event-stream.");

    public static readonly Diagnosis StreamClosed = new(
        "stream-closed", "Stream closed early",
        "The server ended the stream while the probe was still listening: clients reconnect in a loop and miss updates between.",
        "Keep the response open (no request timeout on the route; proxy read timeouts above the heartbeat interval).");

    public static readonly Diagnosis NoHeartbeat = new(
        "no-heartbeat", "No heartbeat",
        "Nothing arrived on the open stream for a long time: proxies and load balancers cut idle connections (often after 60 s).",
        "Send a comment line (\":\") every 15–30 s; in Herald, --heartbeat.");

    public static readonly Diagnosis HeartbeatTooSlow = new(
        "heartbeat-too-slow", "Heartbeat too slow",
        "The stream stayed silent longer than a typical proxy idle timeout (60 s nginx/ALB, 100 s Cloudflare): connections will be cut.",
        "Lower the heartbeat interval below 60 s (15–30 s is usual).");

    public static readonly Diagnosis Buffered = new(
        "buffered", "Buffered delivery",
        "Events arrive in bursts or only at the end: something between the server and the client buffers the stream.",
        "Disable response buffering and compression for the route (nginx: X-Accel-Buffering: no / proxy_buffering off; no gzip on text/event-stream); flush after each event.");

    public static readonly Diagnosis ConnectionRefused = new(
        "connection-refused", "Connection refused",
        "Nothing listens at that host and port.",
        "Check the URL's port and that the server is running and reachable from here.");

    public static readonly Diagnosis ConnectionReset = new(
        "connection-reset", "Connection reset",
        "The connection was dropped mid-way, usually by a proxy, firewall or crashing server.",
        "Check proxy and server logs around the time of the probe; raise proxy timeouts for the stream route.");

    public static readonly Diagnosis Timeout = new(
        "timeout", "Timeout",
        "No connection or no answer in time: a firewall dropping packets or an overloaded server.",
        "Check the host is reachable (firewall, security group) and the server is not saturated.");

    public static readonly Diagnosis TlsFailure = new(
        "tls-failure", "TLS failure",
        "The TLS handshake failed: an invalid, expired or mismatched certificate, or no common protocol.",
        "Serve a valid certificate chain for this host name.");

    public static readonly Diagnosis DnsFailure = new(
        "dns-failure", "DNS failure",
        "The host name does not resolve.",
        "Check the host name and the DNS records.");

    public static readonly Diagnosis ConnectionError = new(
        "connection-error", "Connection error",
        "The request failed before any answer.",
        "See the message; check the URL and the network path.");

    public static readonly Diagnosis MarkerPublishFailed = new(
        "marker-publish-failed", "Marker publish refused",
        "The publish of the marker update was not accepted, so delivery latency could not be measured.",
        "Check --publish-url and that --publish-token grants publishing to the topic.");

    public static readonly Diagnosis MarkerNotReceived = new(
        "marker-not-received", "Marker not received",
        "An update was published but never reached the open stream: subscribers miss updates.",
        "Check the subscribed topics match the published topic and that the token may receive it (private updates need a subscribe claim).");

    public static readonly Diagnosis LowSuccessRate = new(
        "low-success-rate", "Some attempts failed",
        "Only part of the connection attempts opened a stream: users see intermittent failures.",
        "Look at the failed attempts' reasons: connection limits, an unhealthy backend behind a load balancer, rate limiting.");

    public Diagnosis With(string? detail, int attempt) => this with { Detail = detail, Attempts = [attempt] };
}
