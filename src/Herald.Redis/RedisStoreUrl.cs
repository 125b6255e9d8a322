using System.Globalization;
using StackExchange.Redis;

namespace Herald.Redis;

/// <summary>
/// <c>redis://[user:pass@]HOST[:PORT][/DB][?prefix=P]</c> (<c>rediss://</c> for TLS), mapped explicitly to the client's
/// configuration: nothing in the URL is passed through as a raw option string, so every accepted form is documented here.
/// </summary>
public sealed record RedisStoreUrl
{
    public const string Scheme = "redis://";
    public const string TlsScheme = "rediss://";

    /// <summary>The Redis default port.</summary>
    public const int DefaultPort = 6379;

    /// <summary>"herald:": keys are <c>herald:stream</c>, <c>herald:ids</c>, <c>herald:meta</c>; another prefix lets hubs share a Redis.</summary>
    public const string DefaultPrefix = "herald:";

    private RedisStoreUrl(string host, int port, string? user, string? password, int database, bool tls, string prefix)
    {
        Host = host;
        Port = port;
        User = user;
        Password = password;
        Database = database;
        Tls = tls;
        Prefix = prefix;
    }

    public string Host { get; }

    public int Port { get; }

    public string? User { get; }

    public string? Password { get; }

    public int Database { get; }

    public bool Tls { get; }

    public string Prefix { get; }

    /// <summary>For messages and logs: never shows the password.</summary>
    public string Display => $"{(Tls ? TlsScheme : Scheme)}{Host}:{Port}/{Database}";

    public static bool IsRedis(string? store) =>
        store is not null && (store.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || store.StartsWith(TlsScheme, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses the URL; throws <see cref="FormatException"/> with a one-line reason (never echoing the password).</summary>
    public static RedisStoreUrl Parse(string store)
    {
        if (!IsRedis(store) || !Uri.TryCreate(store, UriKind.Absolute, out var uri) || uri.DnsSafeHost.Length == 0)
        {
            throw new FormatException("the Redis store must be redis://[user:pass@]HOST[:PORT][/DB][?prefix=P] or rediss://…");
        }

        var tls = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase);
        string? user = null;
        string? password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);

            // "redis://:pass@host" is the common password-only form (no ACL user).
            user = colon < 0 ? Uri.UnescapeDataString(uri.UserInfo) : Uri.UnescapeDataString(uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            user = user.Length == 0 ? null : user;
        }

        var database = 0;
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 15_000))
        {
            throw new FormatException($"the Redis database in the store URL must be a number, not \"{path}\"");
        }

        var prefix = DefaultPrefix;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            if (name != "prefix" || value.Length == 0)
            {
                throw new FormatException($"the Redis store URL accepts only the query parameter \"prefix\" with a value, not \"{name}\"");
            }

            prefix = value;
        }

        return new RedisStoreUrl(uri.DnsSafeHost, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, user, password, database, tls, prefix);
    }

    /// <summary>The client configuration: fail fast while disconnected, never abort start-up, reconnect with jittered backoff.</summary>
    public ConfigurationOptions ToConfiguration(RedisStoreOptions options)
    {
        var configuration = new ConfigurationOptions
        {
            User = User,
            Password = Password,
            DefaultDatabase = Database,
            Ssl = Tls,
            SslHost = Tls ? Host : null,

            // Start not-ready rather than crash when Redis is down; the node becomes ready once connected.
            AbortOnConnectFail = false,

            // While disconnected, commands fail at once: a publish is answered 503 instead of being queued and written later
            // without the publisher knowing.
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds,
            SyncTimeout = (int)options.CommandTimeout.TotalMilliseconds,
            AsyncTimeout = (int)options.CommandTimeout.TotalMilliseconds,

            // ExponentialRetry adds random jitter to each delay, so nodes don't reconnect in lockstep.
            ReconnectRetryPolicy = new ExponentialRetry((int)options.ReconnectBaseDelay.TotalMilliseconds, (int)options.ReconnectMaxDelay.TotalMilliseconds),
            ClientName = "herald",
        };
        configuration.EndPoints.Add(Host, Port);
        return configuration;
    }
}
