namespace Herald.Client;

/// <summary>An update received from the hub.</summary>
/// <param name="Id">The update's id; the client resumes after the last one it delivered.</param>
/// <param name="Type">The SSE event type; <c>message</c> unless the publisher set one.</param>
/// <param name="Data">The payload, lines joined with <c>\n</c>.</param>
/// <param name="Retry">The reconnection delay the publisher asked for, if any.</param>
public sealed record HeraldUpdate(string? Id, string Type, string Data, TimeSpan? Retry);

/// <summary>An update to publish.</summary>
public sealed record HeraldPublication
{
    public required IReadOnlyList<string> Topics { get; init; }

    public string Data { get; init; } = "";

    /// <summary>Private updates reach only subscribers whose token grants one of the topics.</summary>
    public bool Private { get; init; }

    /// <summary>Make it its topics' latest value, sent first to every new subscriber (Herald's <c>retain</c> field).</summary>
    public bool Retain { get; init; }

    /// <summary>Set it to make retries safe: the hub stores an id once (same content → same answer).</summary>
    public string? Id { get; init; }

    public string? Type { get; init; }

    public TimeSpan? Retry { get; init; }
}

/// <summary>The hub refused a request; <see cref="Exception.Message"/> is the hub's one-line reason.</summary>
public sealed class HeraldException(int statusCode, string reason) : Exception(reason)
{
    /// <summary>The HTTP status the hub answered (0 when the hub could not be reached).</summary>
    public int StatusCode { get; } = statusCode;
}
