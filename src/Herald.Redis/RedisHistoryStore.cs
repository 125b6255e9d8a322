using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Herald.Storage;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Herald.Redis;

/// <summary>
/// History in one Redis Stream shared by every hub node. Appends run one Lua script (id check, append, index, retention,
/// notification) and are acknowledged once Redis answered, so they are as durable as the server's persistence. Every
/// node's feed — also the publishing node's — reads the stream after its last position on each pub/sub notification and
/// on a slow timer, so a single node and a cluster dispatch alike, and a node resumes where it was after an outage.
/// </summary>
public sealed partial class RedisHistoryStore : IHistoryStore, IHealthCheckable, IAsyncDisposable
{
    /// <summary>Entries the feed reads per round trip: large enough to catch up quickly, small enough to stay a short command.</summary>
    public const int FeedPageSize = 512;

    /// <summary>How many skipped entries a node remembers having reported, so each is logged once, not on every replay.</summary>
    private const int ReportedEntriesLimit = 1024;

    /// <summary>The first retry delay of the feed after a failed read; doubled up to the reconnect maximum, with jitter.</summary>
    private static readonly TimeSpan FeedRetryBaseDelay = TimeSpan.FromMilliseconds(100);

    private readonly RedisStoreUrl _url;
    private readonly RedisStoreOptions _options;
    private readonly HistoryLimits _limits;
    private readonly ILogger _logger;
    private readonly ConnectionMultiplexer _connection;
    private readonly RedisKey[] _keys;
    private readonly RedisKey _stream;
    private readonly RedisKey _ids;
    private readonly RedisKey _meta;
    private readonly RedisKey _retainedIndex;
    private readonly RedisKey _retainedValues;
    private readonly RedisChannel _channel;
    private readonly Channel<bool> _nudges = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _trimLoop;
    private readonly ConcurrentDictionary<string, bool> _reportedEntries = new(StringComparer.Ordinal);
    private string? _feedProblem;
    private int _feedTaken;
    private int _feedStarted;
    private int _subscribed;

    private RedisHistoryStore(RedisStoreUrl url, RedisStoreOptions options, HistoryLimits limits, ConnectionMultiplexer connection, ILogger logger)
    {
        _url = url;
        _options = options;
        _limits = limits;
        _logger = logger;
        _connection = connection;
        _stream = url.Prefix + "stream";
        _ids = url.Prefix + "ids";
        _meta = url.Prefix + "meta";
        _retainedIndex = url.Prefix + "retained";
        _retainedValues = url.Prefix + "retained-values";
        _keys = [_stream, _ids, _meta, _retainedIndex, _retainedValues];
        _channel = RedisChannel.Literal(url.Prefix + "appended");
        // Logged for the command connection only: the pub/sub connection fails and recovers alongside it.
        _connection.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                LogDisconnected(_logger, _url.Display, e.FailureType.ToString());
            }
        };
        _connection.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                LogReconnected(_logger, _url.Display);
            }

            // Catch up at once instead of at the next safety poll: updates appended by other nodes meanwhile are in the stream.
            Nudge();
        };
        _trimLoop = Task.Run(TrimLoopAsync);
    }

    private HeraldMetrics? Metrics { get; init; }

    /// <summary>Where this store keeps its data, without the password.</summary>
    public string Display => _url.Display;

    /// <inheritdoc />
    public string? Unavailable =>
        !_connection.IsConnected ? $"Redis at {_url.Display} is unreachable"
        : Volatile.Read(ref _feedStarted) == 0 ? $"connecting to Redis at {_url.Display}"
        : Volatile.Read(ref _feedProblem) is { } problem ? $"the live feed cannot advance: {problem}"
        : null;

    /// <summary>
    /// Connects (or starts connecting: a Redis that is down leaves the store not-ready instead of failing start-up).
    /// A malformed URL throws <see cref="HistoryStoreException"/>.
    /// </summary>
    public static RedisHistoryStore Connect(string store, RedisStoreOptions options, HistoryLimits limits, ILogger<RedisHistoryStore> logger) =>
        Connect(store, options, limits, logger, metrics: null);

    /// <summary>As above, measuring the live feed's lag behind the head on <paramref name="metrics"/>.</summary>
    public static RedisHistoryStore Connect(string store, RedisStoreOptions options, HistoryLimits limits, ILogger<RedisHistoryStore> logger, HeraldMetrics? metrics)
    {
        RedisStoreUrl url;
        try
        {
            url = RedisStoreUrl.Parse(store);
        }
        catch (FormatException e)
        {
            throw new HistoryStoreException(e.Message, e);
        }

        // Waits at most the connect timeout; with AbortOnConnectFail off it returns disconnected rather than throwing.
        var connection = ConnectionMultiplexer.Connect(url.ToConfiguration(options));
        if (!connection.IsConnected)
        {
            LogStartingDisconnected(logger, url.Display);
        }

        return new RedisHistoryStore(url, options, limits, connection, logger) { Metrics = metrics };
    }

    public async ValueTask<AppendResult> AppendAsync(Update update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var id = update.Id ?? throw new ArgumentException("The update needs an id before it is stored.", nameof(update));
        if (update.Topics is null || update.Data is null)
        {
            throw new ArgumentException("The update needs topics and data (empty data is \"\") to be stored.", nameof(update));
        }

        var args = AppendArguments(update, id);

        // Not cancellable: once sent, the outcome must stay knowable, as with the other stores.
        var result = (RedisResult[])(await RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Append, _keys, args), "append").ConfigureAwait(false))!;
        var status = (int)result[0] switch
        {
            0 => AppendStatus.Appended,
            1 => AppendStatus.Duplicate,
            _ => AppendStatus.Conflict,
        };
        var position = RedisPositions.FromEntryId((string)result[1]!);
        if (status == AppendStatus.Appended && (long)result[2] is var skipped and > 0)
        {
            LogAppendedAfterForeignEntry(_logger, _url.Display, position, skipped);
        }

        return new AppendResult(status, id, position);
    }

    private RedisValue[] AppendArguments(Update update, string id) =>
    [
        id, RedisEntryCodec.Encode(update), _limits.MaxCount, _limits.MaxBytes, (long)_limits.MaxAge.TotalMilliseconds,
        _channel.ToString(), RedisScripts.TrimBatch, StoreGeneration.New(), HistoryLimits.SizeOf(update), RedisEntryCodec.Version,
        RedisEntryCodec.TraceParent(update), update.Retain ? "1" : "0", update.IsSubscriptionEvent ? "1" : "",
        .. update.Retain ? update.Topics.Select(static t => (RedisValue)t) : [],
    ];

    public async ValueTask<long?> FindPositionAsync(string id, CancellationToken cancellationToken)
    {
        return await RunAsync<long?>(async db =>
        {
            var entryId = await db.HashGetAsync(_ids, id).ConfigureAwait(false);
            return entryId.IsNull ? null : RedisPositions.FromEntryId(entryId!);
        }, "look up an id").ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<StoredUpdate>> ReadAfterAsync(long afterPosition, int maxCount, CancellationToken cancellationToken)
    {
        var (page, _) = await RunAsync(db => ReadPageAsync(db, RedisPositions.ToEntryId(afterPosition), maxCount), "read history").ConfigureAwait(false);
        return page;
    }

    public async ValueTask<IReadOnlyList<RetainedTopic>> ListRetainedAsync(IReadOnlyCollection<string>? topics, CancellationToken cancellationToken)
    {
        return await RunAsync<IReadOnlyList<RetainedTopic>>(async db =>
        {
            var listed = new List<RetainedTopic>();
            if (topics is null)
            {
                foreach (var entry in await db.HashGetAllAsync(_retainedIndex).ConfigureAwait(false))
                {
                    listed.Add(new RetainedTopic(entry.Name!, RedisPositions.FromEntryId(entry.Value!)));
                }

                return listed;
            }

            var names = topics.ToArray();
            var positions = await db.HashGetAsync(_retainedIndex, [.. names.Select(static t => (RedisValue)t)]).ConfigureAwait(false);
            for (var i = 0; i < names.Length; i++)
            {
                if (!positions[i].IsNull)
                {
                    listed.Add(new RetainedTopic(names[i], RedisPositions.FromEntryId(positions[i]!)));
                }
            }

            return listed;
        }, "list the latest values").ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<StoredUpdate>> ReadRetainedAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        if (topics.Count == 0)
        {
            return [];
        }

        return await RunAsync<IReadOnlyList<StoredUpdate>>(async db =>
        {
            var raw = await db.HashGetAsync(_retainedValues, [.. topics.Select(static t => (RedisValue)t)]).ConfigureAwait(false);
            var values = new List<StoredUpdate>(raw.Length);
            foreach (var value in raw)
            {
                if (!value.IsNull)
                {
                    values.Add(RedisEntryCodec.DecodeRetained(value!));
                }
            }

            return values;
        }, "read the latest values").ConfigureAwait(false);
    }

    public async ValueTask<long> GetHeadAsync(CancellationToken cancellationToken)
    {
        return await RunAsync(async db =>
        {
            var last = await db.HashGetAsync(_meta, "last").ConfigureAwait(false);
            return last.IsNull ? 0 : (long)last;
        }, "read the head").ConfigureAwait(false);
    }

    public async ValueTask<string> GetGenerationAsync(CancellationToken cancellationToken)
    {
        RedisValue[] args = [StoreGeneration.New()];
        var generation = await RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Generation, _keys, args), "read the generation").ConfigureAwait(false);
        return (string)generation!;
    }

    public async IAsyncEnumerable<StoredUpdate> ReadFeedAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _feedTaken, 1) != 0)
        {
            throw new InvalidOperationException("The feed of a history store has a single consumer: the hub's dispatcher.");
        }

        var cursor = new RedisFeedCursor();
        var page = new List<StoredUpdate>(FeedPageSize);
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            RedisFeedRead read;
            RedisFeedTurn turn;
            page.Clear();
            try
            {
                await EnsureSubscribedAsync().ConfigureAwait(false);
                var (generation, position) = (cursor.Generation, cursor.Position);

                // The first read starts at the head ("from now on"); the node is not ready before it.
                read = await RunAsync(db => ReadFeedAsync(db, cursor.After), "read the live feed").ConfigureAwait(false);
                turn = cursor.Advance(read, page, TryDecode);
                Metrics?.FeedLag(read.Head - cursor.Position);
                Volatile.Write(ref _feedProblem, null);
                if (Interlocked.Exchange(ref _feedStarted, 1) == 0)
                {
                    LogFeedStarted(_logger, _url.Display, read.Generation, cursor.Position);
                }

                if (failures > 0)
                {
                    LogFeedResumed(_logger, cursor.Position);
                    failures = 0;
                }

                if (turn == RedisFeedTurn.Replaced)
                {
                    LogHistoryReplaced(_logger, _url.Display, generation!, position, read.Generation, read.Head);
                    continue;
                }

                if (turn == RedisFeedTurn.WentBack)
                {
                    LogHistoryWentBack(_logger, _url.Display, read.Generation, position, read.Head, cursor.Position);
                    continue;
                }
            }
            catch (Exception e)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                // Whatever the failure, the feed retries: an exception here would end the dispatcher, and with it the host.
                Volatile.Write(ref _feedProblem, e is HistoryStoreException ? e.Message : $"unexpected {e.GetType().Name} (see the log)");
                if (failures++ == 0)
                {
                    LogFeedFailed(_logger, e);
                }

                // Woken early by a reconnection; resumes where the cursor stands, so nothing appended meanwhile is missed.
                await WaitForNudgeAsync(RetryDelay(failures), cancellationToken).ConfigureAwait(false);
                continue;
            }

            foreach (var stored in page)
            {
                yield return stored;
            }

            if (read.Entries.Length < FeedPageSize)
            {
                await WaitForNudgeAsync(_options.SafetyPollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Takes the lease <paramref name="name"/> (under this store's prefix) for <paramref name="holder"/>, or renews it when the holder has it.</summary>
    internal async Task<bool> TryHoldLeaseAsync(string name, string holder, TimeSpan duration)
    {
        RedisKey[] keys = [_url.Prefix + name];
        RedisValue[] args = [holder, (long)Math.Ceiling(duration.TotalMilliseconds)];
        return (int)await RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.HoldLease, keys, args), "take a bridge lease").ConfigureAwait(false) == 1;
    }

    /// <summary>Deletes the lease when <paramref name="holder"/> has it.</summary>
    internal async Task ReleaseLeaseAsync(string name, string holder)
    {
        RedisKey[] keys = [_url.Prefix + name];
        RedisValue[] args = [holder];
        await RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.ReleaseLease, keys, args), "release a bridge lease").ConfigureAwait(false);
    }

    /// <summary>Applies retention now (one batch) instead of at the next timer tick; returns how many entries went.</summary>
    internal async Task<int> TrimAsync()
    {
        RedisValue[] args = [_limits.MaxCount, _limits.MaxBytes, (long)_limits.MaxAge.TotalMilliseconds, RedisScripts.TrimBatch];
        return (int)(await RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Trim, _keys, args), "apply retention").ConfigureAwait(false));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _trimLoop.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>
    /// Up to <paramref name="maxCount"/> updates after an entry id, in order, and the id of the last entry read. Entries
    /// Herald cannot decode are reported once and passed over; the page is filled past them, so a short page means the
    /// end of the stream, never a skipped entry.
    /// </summary>
    private async Task<(List<StoredUpdate> Page, RedisValue LastRead)> ReadPageAsync(IDatabase db, RedisValue after, int maxCount)
    {
        // XREAD (not blocking) returns the entries strictly after the given id, in order: exactly "after this position".
        var page = new List<StoredUpdate>(Math.Min(maxCount, FeedPageSize));
        var lastRead = after;
        while (page.Count < maxCount)
        {
            var wanted = maxCount - page.Count;
            var entries = await db.StreamReadAsync(_stream, lastRead, wanted).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                lastRead = entry.Id;
                if (TryDecode(entry, out var stored))
                {
                    page.Add(stored);
                }
            }

            if (entries.Length < wanted)
            {
                break;
            }
        }

        return (page, lastRead);
    }

    /// <summary>One atomic read of the generation, the head and the entries after <paramref name="after"/> (null: the head).</summary>
    private async Task<RedisFeedRead> ReadFeedAsync(IDatabase db, string? after)
    {
        RedisValue[] args = [after ?? "", FeedPageSize, StoreGeneration.New()];
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.Feed, _keys, args).ConfigureAwait(false))!;
        var rawEntries = (RedisResult[])result[3]!;
        var entries = new StreamEntry[rawEntries.Length];
        for (var i = 0; i < rawEntries.Length; i++)
        {
            var entry = (RedisResult[])rawEntries[i]!;
            var fields = (RedisValue[])entry[1]!;
            var values = new NameValueEntry[fields.Length / 2];
            for (var f = 0; f < values.Length; f++)
            {
                values[f] = new NameValueEntry(fields[2 * f], fields[2 * f + 1]);
            }

            entries[i] = new StreamEntry((RedisValue)entry[0], values);
        }

        var head = long.Parse((string)result[1]!, System.Globalization.CultureInfo.InvariantCulture);
        return new RedisFeedRead((string)result[0]!, head, (string)result[2]!, entries, result[4].IsNull ? null : (string?)result[4]);
    }

    private bool TryDecode(StreamEntry entry, [NotNullWhen(true)] out StoredUpdate? stored)
    {
        stored = TryDecode(entry);
        return stored is not null;
    }

    /// <summary>The entry's update, or null for one Herald did not write or cannot read (reported once per node).</summary>
    private StoredUpdate? TryDecode(StreamEntry entry)
    {
        try
        {
            return RedisEntryCodec.Decode(entry);
        }
        catch (FormatException e)
        {
            var entryId = entry.Id.ToString();
            if (_reportedEntries.Count < ReportedEntriesLimit && _reportedEntries.TryAdd(entryId, true))
            {
                LogSkippedEntry(_logger, entryId, _url.Display, e);
            }

            return null;
        }
    }

    private void Nudge() => _nudges.Writer.TryWrite(true);

    private async Task EnsureSubscribedAsync()
    {
        if (Volatile.Read(ref _subscribed) != 0)
        {
            return;
        }

        // The client re-subscribes by itself after a reconnection; only the first subscription is ours to make.
        await RunAsync(async _ =>
        {
            await _connection.GetSubscriber().SubscribeAsync(_channel, (_, _) => Nudge()).ConfigureAwait(false);
            return true;
        }, "subscribe to notifications").ConfigureAwait(false);
        Volatile.Write(ref _subscribed, 1);
    }

    private async Task WaitForNudgeAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await _nudges.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
            _nudges.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    private TimeSpan RetryDelay(int failures)
    {
        var ceiling = Math.Min(FeedRetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 16)), _options.ReconnectMaxDelay.TotalMilliseconds);

        // Full jitter: nodes that lost Redis together don't all come back in the same millisecond.
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private async Task TrimLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.TrimInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    while (await TrimAsync().ConfigureAwait(false) == RedisScripts.TrimBatch && !_stop.IsCancellationRequested)
                    {
                    }
                }
                catch (HistoryStoreException)
                {
                    // Redis is down: the feed logs that; retention runs again on the next tick.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Runs a command, turning the client's failures into the one-line <see cref="HistoryStoreException"/> the hub answers 503 with.</summary>
    private async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> command, string what)
    {
        try
        {
            return await command(_connection.GetDatabase()).ConfigureAwait(false);
        }
        catch (RedisTimeoutException e)
        {
            throw new HistoryStoreException(
                $"Redis at {_url.Display} did not answer within {_options.CommandTimeout.TotalMilliseconds:0} ms ({what}), though it may still apply it: retry a publish with the same id",
                e);
        }
        catch (RedisConnectionException e)
        {
            throw new HistoryStoreException($"Redis at {_url.Display} is unreachable ({what}): {e.FailureType}", e);
        }
        catch (RedisException e)
        {
            throw new HistoryStoreException($"Redis at {_url.Display} refused to {what}: {FirstLine(e.Message)}", e);
        }
        catch (FormatException e)
        {
            throw new HistoryStoreException($"Redis at {_url.Display} holds data Herald did not write under prefix \"{_url.Prefix}\": {e.Message}", e);
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Redis at {Server} is not reachable yet; the node stays not-ready until it is")]
    private static partial void LogStartingDisconnected(ILogger logger, string server);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Lost the connection to Redis at {Server} ({FailureType}): publishes and new subscriptions answer 503 until it is back")]
    private static partial void LogDisconnected(ILogger logger, string server, string failureType);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "Reconnected to Redis at {Server}")]
    private static partial void LogReconnected(ILogger logger, string server);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Reading the live feed from Redis at {Server} (generation {Generation}) after position {Position}")]
    private static partial void LogFeedStarted(ILogger logger, string server, string generation, long position);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "The live feed cannot read Redis; retrying with backoff, the node is not ready meanwhile")]
    private static partial void LogFeedFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "The live feed resumed after position {Position}")]
    private static partial void LogFeedResumed(ILogger logger, long position);

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "Skipped stream entry {EntryId} in Redis at {Server}: Herald did not write it or cannot read it; the live feed and replay pass over it")]
    private static partial void LogSkippedEntry(ILogger logger, string entryId, string server, Exception exception);

    [LoggerMessage(EventId = 212, Level = LogLevel.Warning, Message = "The history in Redis at {Server} was replaced (emptied by FLUSHALL or a restart without persistence, or another server): generation {OldGeneration} at position {OldPosition} became {Generation} at head {Head}. Updates of the old history not yet dispatched are gone; the live feed continues from position 0 of the new one")]
    private static partial void LogHistoryReplaced(ILogger logger, string server, string oldGeneration, long oldPosition, string generation, long head);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning, Message = "The history in Redis at {Server} went back (generation {Generation}): its head is {Head}, and position {OldPosition}, already dispatched here, is gone or holds another update (a failover to a lagging replica, a restored backup?). Updates the rollback lost are gone; the live feed reads again after position {Position}, skipping what it already dispatched")]
    private static partial void LogHistoryWentBack(ILogger logger, string server, string generation, long oldPosition, long head, long position);

    [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "Appended at position {Position} in Redis at {Server}: an entry Herald did not write held the next position, so positions jump after {Skipped}")]
    private static partial void LogAppendedAfterForeignEntry(ILogger logger, string server, long position, long skipped);
}
