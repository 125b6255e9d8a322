namespace Herald.Storage;

/// <summary>
/// Optional capability of a store that can become unreachable (a remote server). While <see cref="Unavailable"/> is
/// set, <c>/readyz</c> answers 503 and new subscriptions are refused with <c>Retry-After</c>; stores without it (memory,
/// SQLite) are always ready.
/// </summary>
public interface IHealthCheckable
{
    /// <summary>Null when the store can serve requests, else a one-line reason. Cheap: read on every subscribe.</summary>
    string? Unavailable { get; }
}
