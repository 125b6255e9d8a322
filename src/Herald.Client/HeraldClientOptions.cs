namespace Herald.Client;

/// <summary>Where the hub is, how to authenticate, and how patiently to reconnect.</summary>
public sealed class HeraldClientOptions
{
    /// <summary>1 s: the first reconnection waits a random delay up to this, so a restarted hub isn't hit by everyone at once.</summary>
    public static readonly TimeSpan DefaultBackoffBase = TimeSpan.FromSeconds(1);

    /// <summary>30 s: the longest wait between attempts; a hub back up is noticed within half a minute.</summary>
    public static readonly TimeSpan DefaultBackoffCap = TimeSpan.FromSeconds(30);

    /// <summary>15 s, the hub's default heartbeat; the watchdog allows three missed ones before reconnecting.</summary>
    public static readonly TimeSpan DefaultHeartbeat = TimeSpan.FromSeconds(15);

    /// <summary>5 s: a connection that lasted this long was healthy, so the next failure starts the backoff anew.</summary>
    public static readonly TimeSpan HealthyConnection = TimeSpan.FromSeconds(5);

    /// <summary>3 attempts for an idempotent publish (one with an id): rides out a restart without hiding an outage.</summary>
    public const int DefaultPublishAttempts = 3;

    /// <summary>The hub endpoint, e.g. <c>https://hub.example.com/.well-known/mercure</c>.</summary>
    public Uri? HubUrl { get; set; }

    /// <summary>A fixed token; ignored when <see cref="TokenProvider"/> is set.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Called on every (re)connect and publish, and on the hub's expiry notice, so short-lived tokens are refreshed. An
    /// empty answer is a failed attempt (retried with backoff), never a request without a token.
    /// </summary>
    public Func<CancellationToken, ValueTask<string>>? TokenProvider { get; set; }

    /// <summary>The hub's heartbeat; no bytes for three times this means a dead stream, and the client reconnects.</summary>
    public TimeSpan Heartbeat { get; set; } = DefaultHeartbeat;

    public TimeSpan BackoffBase { get; set; } = DefaultBackoffBase;

    public TimeSpan BackoffCap { get; set; } = DefaultBackoffCap;

    public int PublishAttempts { get; set; } = DefaultPublishAttempts;

    /// <summary>Topic prefix of job updates (docs/jobs.md).</summary>
    public string JobTopicPrefix { get; set; } = Jobs.JobUpdates.DefaultTopicPrefix;

    internal TimeSpan Watchdog => Heartbeat * 3;
}
