namespace Herald.Cli.Probe;

/// <summary>What one connection saw. Times are milliseconds since the connection started; null when the step never happened.</summary>
internal sealed class AttemptResult
{
    public int Attempt { get; init; }

    public double? DnsMs { get; set; }

    public double? ConnectMs { get; set; }

    public double? TlsMs { get; set; }

    public double? HeadersMs { get; set; }

    public double? FirstByteMs { get; set; }

    public double? FirstEventMs { get; set; }

    public int? Status { get; set; }

    public string? HttpVersion { get; set; }

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The start of a non-stream answer (an error reason, an HTML page), for the report.</summary>
    public string? BodyExcerpt { get; set; }

    /// <summary>A transport failure: connection-refused, connection-reset, timeout, tls-failure, dns-failure, error.</summary>
    public string? Failure { get; set; }

    public string? FailureMessage { get; set; }

    public int Events { get; set; }

    public int Comments { get; set; }

    public long Bytes { get; set; }

    /// <summary>The server ended the stream (EOF or reset) before the probe did.</summary>
    public bool EndedByServer { get; set; }

    /// <summary>When the attempt stopped observing: the server closed, or the probe's window ended.</summary>
    public double EndedMs { get; set; }

    public double? MarkerLatencyMs { get; set; }

    /// <summary>Arrival time of every event and comment: bursts show here.</summary>
    public List<double> ItemTimes { get; set; } = [];

    /// <summary>Arrival time of every read that returned bytes: the gaps are what idle timeouts see.</summary>
    public List<double> ChunkTimes { get; set; } = [];

    public string? ContentType => Headers.GetValueOrDefault("Content-Type");

    /// <summary>200 with <c>text/event-stream</c>: an SSE stream was opened.</summary>
    public bool IsStream => Status == 200 && ContentType is { } type && type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
}
