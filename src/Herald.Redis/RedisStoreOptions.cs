namespace Herald.Redis;

/// <summary>Client-side settings of the Redis store; the server and key prefix come from the <c>redis://</c> URL.</summary>
public sealed class RedisStoreOptions
{
    /// <summary>5 s: a local or same-region Redis connects in milliseconds; longer means it is down, and the node stays not-ready.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// 5 s: how long a command may take before the publish is answered 503. An fsync-per-write Redis answers in
    /// milliseconds; seconds mean it is stalled, and the publisher should hear so rather than wait.
    /// </summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>250 ms: first reconnection delay; it grows exponentially with jitter so many nodes don't reconnect in step.</summary>
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>5 s: the longest reconnection delay, so a node is back within seconds of Redis.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// 1 s: the feed also reads the stream this often without a notification, a safety net for a lost pub/sub
    /// message (pub/sub is at-most-once); the stream, not the notification, is what gets dispatched.
    /// </summary>
    public TimeSpan SafetyPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>5 s: how often retention runs when nothing is published (age-based expiry needs no publish).</summary>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromSeconds(5);
}
