using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Herald.Storage.Sqlite;

/// <summary>
/// The file's single writer. Publishes queue here; the loop commits everything waiting at that moment in one
/// transaction (group commit: one disk sync for many publishes), then acknowledges them and feeds the dispatcher.
/// Retention deletes run on the same loop in small batches between commits, so they never block publishing for long.
/// </summary>
internal sealed partial class SqliteWriter : IAsyncDisposable
{
    /// <summary>Most publishes in one commit: bounds the latency a large group adds to its first member.</summary>
    public const int MaxBatch = 1024;

    /// <summary>Most rows one retention step deletes: a few milliseconds of work between publish batches.</summary>
    public const int CleanupBatch = 500;

    /// <summary>How often retention runs when the hub is idle (age-based expiry needs no publish to happen).</summary>
    public static readonly TimeSpan CleanupInterval = TimeSpan.FromSeconds(5);

    /// <summary>Rows holding a hub subscription event (their topics JSON starts with the reserved path).</summary>
    private const string SubscriptionEventCondition = "topics LIKE '[\"/.well-known/mercure/subscriptions/%'";

    private readonly string _path;
    private readonly HistoryLimits _limits;
    private readonly TimeProvider _time;
    private readonly ChannelWriter<StoredUpdate> _feed;
    private readonly ILogger _logger;
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _findById;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _retain;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ITimer _cleanupTimer;
    private long _head;
    private bool _mayHoldRetained;
    private long _count;
    private long _exempt;
    private long _bytes;

    /// <summary>Bytes the batch being committed freed by superseding rows; applied to <see cref="_bytes"/> once it commits.</summary>
    private long _pendingBytes;
    private int _cleanupRequested;

    private readonly HeraldMetrics? _metrics;

    public SqliteWriter(string path, string connectionString, HistoryLimits limits, TimeProvider time, ChannelWriter<StoredUpdate> feed, ILogger logger, HeraldMetrics? metrics = null)
    {
        _metrics = metrics;
        _path = path;
        _limits = limits;
        _time = time;
        _feed = feed;
        _logger = logger;
        _connection = new SqliteConnection(connectionString);
        try
        {
            _connection.Open();
            SqliteSchema.Execute(_connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA journal_size_limit = 67108864;");
            Generation = SqliteSchema.OpenOrCreate(_connection, path);
            using (var stats = _connection.CreateCommand())
            {
                stats.CommandText = "SELECT count(*), coalesce(sum(size), 0), coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'updates'), 0) FROM updates";
                using var reader = stats.ExecuteReader();
                reader.Read();
                _count = reader.GetInt64(0);
                _bytes = reader.GetInt64(1);
                _head = reader.GetInt64(2);
            }

            using (var retained = _connection.CreateCommand())
            {
                retained.CommandText = "SELECT EXISTS (SELECT 1 FROM retained)";
                _mayHoldRetained = (long)retained.ExecuteScalar()! != 0;
            }

            using (var exempt = _connection.CreateCommand())
            {
                exempt.CommandText = $"SELECT count(*) FROM updates WHERE {SubscriptionEventCondition}";
                _exempt = (long)exempt.ExecuteScalar()!;
            }

            _findById = Prepare($"SELECT {SqliteRows.HistoryColumns} FROM updates WHERE id = $id", "$id");
            _insert = Prepare(
                "INSERT INTO updates (position, id, topics, data, type, retry, private, stored_at, size, retain) VALUES ($position, $id, $topics, $data, $type, $retry, $private, $stored_at, $size, $retain) ON CONFLICT (id) DO NOTHING RETURNING position",
                "$position", "$id", "$topics", "$data", "$type", "$retry", "$private", "$stored_at", "$size", "$retain");
            // The same transaction as the insert: a latest value never names an update that was not committed.
            _retain = Prepare(
                "INSERT INTO retained (topic, position, id, topics, data, type, retry, private, stored_at, retain) SELECT $topic, position, id, topics, data, type, retry, private, stored_at, 1 FROM updates WHERE position = $position "
                + "ON CONFLICT (topic) DO UPDATE SET position = excluded.position, id = excluded.id, topics = excluded.topics, data = excluded.data, type = excluded.type, retry = excluded.retry, private = excluded.private, stored_at = excluded.stored_at WHERE excluded.position > retained.position",
                "$topic", "$position");
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new HistoryStoreException($"cannot open the history file '{path}': {Describe(e)}", e);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }

        _loop = Task.Run(RunAsync);
        _cleanupTimer = time.CreateTimer(_ => RequestCleanup(), null, CleanupInterval, CleanupInterval);
        RequestCleanup();
    }

    /// <summary>The file's generation (see <see cref="IHistoryStore.GetGenerationAsync"/>).</summary>
    public string Generation { get; }

    /// <summary>Position of the last committed update.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>
    /// False while the file has never held a latest value (see <see cref="IHistoryStore.MayHoldRetained"/>): set before
    /// the first one is committed, so a reader that sees its position in <see cref="Head"/> sees this too.
    /// </summary>
    public bool MayHoldRetained => Volatile.Read(ref _mayHoldRetained);

    public async ValueTask<AppendResult> AppendAsync(Update update, CancellationToken cancellationToken)
    {
        var pending = new Pending(update);
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new HistoryStoreException($"the history file '{_path}' is closed: the hub is shutting down");
        }

        // Not cancellable once queued: the commit may already be under way, and its outcome must stay knowable.
        return await pending.Done.Task.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _cleanupTimer.DisposeAsync().ConfigureAwait(false);
        _pending.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _findById.Dispose();
        _insert.Dispose();
        _retain.Dispose();
        _connection.Dispose();
        _stop.Dispose();
    }

    /// <summary>Runs retention to completion now; completes when the history is within its limits.</summary>
    public Task EnforceRetentionAsync()
    {
        var request = new Pending(Pending.Cleanup.Update);
        return _pending.Writer.TryWrite(request) ? request.Done.Task : Task.CompletedTask;
    }

    private void RequestCleanup()
    {
        if (Interlocked.Exchange(ref _cleanupRequested, 1) == 0)
        {
            _pending.Writer.TryWrite(Pending.Cleanup);
        }
    }

    /// <summary>
    /// The loop survives any failure: a batch that fails is answered with <see cref="HistoryStoreException"/> and the
    /// next one proceeds, so one bad moment never leaves later publishers waiting forever.
    /// </summary>
    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var cleanup = false;
            List<Pending>? retentionWaiters = null;
            while (batch.Count < MaxBatch && reader.TryRead(out var pending))
            {
                if (ReferenceEquals(pending, Pending.Cleanup))
                {
                    cleanup = true;
                }
                else if (ReferenceEquals(pending.Update, Pending.Cleanup.Update))
                {
                    (retentionWaiters ??= []).Add(pending);
                }
                else
                {
                    batch.Add(pending);
                }
            }

            if (batch.Count > 0)
            {
                CommitBatch(batch);
                batch.Clear();
            }

            if (cleanup)
            {
                Volatile.Write(ref _cleanupRequested, 0);
                CleanupStep();
            }

            if (retentionWaiters is not null)
            {
                while (CleanupStep())
                {
                }

                foreach (var waiter in retentionWaiters)
                {
                    waiter.Done.TrySetResult(default);
                }
            }
        }
    }

    private void CommitBatch(List<Pending> batch)
    {
        var results = new AppendResult[batch.Count];
        var appended = new List<StoredUpdate>(batch.Count);
        var inBatch = new Dictionary<string, StoredUpdate>(StringComparer.Ordinal);
        var now = _time.GetUtcNow();
        long addedBytes = 0;
        _pendingBytes = 0;
        try
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            _findById.Transaction = transaction;
            _insert.Transaction = transaction;
            _retain.Transaction = transaction;
            for (var i = 0; i < batch.Count; i++)
            {
                var update = batch[i].Update;
                var id = update.Id!;
                // A new id (the usual case) costs one statement: the insert itself detects a retained id.
                var position = Volatile.Read(ref _head) + appended.Count + 1;
                var stored = inBatch.TryGetValue(id, out var sameBatch) ? null : TryInsert(position, update, now);
                if (stored is null)
                {
                    var existing = sameBatch ?? FindExisting(id)!;
                    // A superseded version's content is gone: a retry of it is acknowledged, never stored again over a newer value.
                    var status = existing.Superseded || existing.Update.SameContentAs(update) ? AppendStatus.Duplicate : AppendStatus.Conflict;
                    results[i] = new AppendResult(status, id, existing.Position);
                    continue;
                }

                inBatch[id] = stored;
                appended.Add(stored);
                addedBytes += stored.Frame.Length;
                results[i] = new AppendResult(AppendStatus.Appended, id, stored.Position);
            }

            transaction.Commit();
            _metrics?.AppendBatch(batch.Count);
        }
        catch (Exception e)
        {
            // Any failure, not only SQLite's (a damaged row, a bug): this batch is refused, the loop goes on.
            // Nothing was committed (the transaction rolls back), so the head and the counters are unchanged.
            LogCommitFailed(_logger, _path, batch.Count, e);
            var failure = new HistoryStoreException($"the history file '{_path}' cannot be written: {Describe(e)}", e);
            foreach (var pending in batch)
            {
                pending.Done.TrySetException(failure);
            }

            return;
        }

        if (appended.Count > 0)
        {
            Volatile.Write(ref _head, appended[^1].Position);
            _count += appended.Count;
            _exempt += appended.Count(s => s.Update.IsSubscriptionEvent);
            _bytes += addedBytes + _pendingBytes;

            // Only committed updates reach the feed, in commit order.
            foreach (var stored in appended)
            {
                _feed.TryWrite(stored);
            }

            if (_count - _exempt > _limits.MaxCount || _bytes > _limits.MaxBytes)
            {
                RequestCleanup();
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Done.TrySetResult(results[i]);
        }
    }

    private StoredUpdate? FindExisting(string id)
    {
        _findById.Parameters["$id"].Value = id;
        using var reader = _findById.ExecuteReader();
        return reader.Read() ? SqliteRows.Read(reader) : null;
    }

    /// <summary>
    /// Inserts at the given position (the writer is the only one, so it numbers updates itself; AUTOINCREMENT's
    /// sequence still records the highest, so numbering survives retention emptying the table); null when the id is
    /// already retained.
    /// </summary>
    private StoredUpdate? TryInsert(long position, Update update, DateTimeOffset now)
    {
        var p = _insert.Parameters;
        p["$position"].Value = position;
        p["$id"].Value = update.Id;
        p["$topics"].Value = SqliteRows.TopicsJson(update);
        p["$data"].Value = update.Data;
        p["$type"].Value = (object?)update.Type ?? DBNull.Value;
        p["$retry"].Value = (object?)update.Retry ?? DBNull.Value;
        p["$private"].Value = update.Private ? 1 : 0;
        p["$stored_at"].Value = now.ToUnixTimeMilliseconds();
        p["$retain"].Value = update.Retain ? 1 : 0;

        // The size is the SSE frame's: the same measure the memory store bounds, and the frame is needed for dispatch anyway.
        var stored = new StoredUpdate(position, update, now);
        p["$size"].Value = stored.Frame.Length;
        if (_insert.ExecuteScalar() is not long)
        {
            return null;
        }

        if (update.Retain)
        {
            Volatile.Write(ref _mayHoldRetained, true);
            var previous = _limits.LatestRetainedOnly ? PreviousValues(update.Topics) : null;
            _retain.Parameters["$position"].Value = position;
            foreach (var topic in update.Topics)
            {
                _retain.Parameters["$topic"].Value = topic;
                _retain.ExecuteNonQuery();
            }

            foreach (var old in previous ?? [])
            {
                _pendingBytes -= SupersedeIfUnreferenced(old);
            }
        }

        return stored;
    }

    /// <summary>The positions of the current latest values of these topics.</summary>
    private HashSet<long> PreviousValues(IReadOnlyList<string> topics)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = _insert.Transaction;
        command.CommandText = "SELECT position FROM retained WHERE topic = $topic";
        var parameter = command.Parameters.Add(new SqliteParameter { ParameterName = "$topic" });
        var positions = new HashSet<long>();
        foreach (var topic in topics)
        {
            parameter.Value = topic;
            if (command.ExecuteScalar() is long position)
            {
                positions.Add(position);
            }
        }

        return positions;
    }

    /// <summary>
    /// Empties the history row of a latest value no topic names any more (its position and id stay); returns the bytes
    /// that freed against the byte limit.
    /// </summary>
    private long SupersedeIfUnreferenced(long position)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = _insert.Transaction;
        command.CommandText = """
            UPDATE updates SET data = '', type = NULL, retry = NULL, superseded = 1, size = $size
            WHERE position = $position AND superseded = 0 AND NOT EXISTS (SELECT 1 FROM retained WHERE retained.position = $position)
            RETURNING id
            """;
        command.Parameters.AddWithValue("$position", position);
        using var sizeOf = _connection.CreateCommand();
        sizeOf.Transaction = _insert.Transaction;
        sizeOf.CommandText = "SELECT size, id FROM updates WHERE position = $position";
        sizeOf.Parameters.AddWithValue("$position", position);
        long before;
        string id;
        using (var reader = sizeOf.ExecuteReader())
        {
            if (!reader.Read())
            {
                return 0;
            }

            before = reader.GetInt64(0);
            id = reader.GetString(1);
        }

        var after = HistoryLimits.SizeOf(new Update { Id = id, Topics = [] });
        command.Parameters.AddWithValue("$size", after);
        return command.ExecuteScalar() is string ? before - after : 0;
    }

    /// <summary>Deletes one small batch of the oldest rows beyond the limits; true (and another step requested) if more remain.</summary>
    private bool CleanupStep()
    {
        try
        {
            var cutoff = _limits.MaxAge > TimeSpan.Zero ? (_time.GetUtcNow() - _limits.MaxAge).ToUnixTimeMilliseconds() : long.MinValue;
            long lastRemoved = 0, removedCount = 0, removedBytes = 0, removedExempt = 0;
            using (var oldest = _connection.CreateCommand())
            {
                oldest.CommandText = $"SELECT position, size, stored_at, {SubscriptionEventCondition} FROM updates ORDER BY position LIMIT $limit";
                oldest.Parameters.AddWithValue("$limit", CleanupBatch);
                using var reader = oldest.ExecuteReader();
                while (reader.Read())
                {
                    // Subscription events do not count against MaxCount (see Update.IsSubscriptionEvent).
                    var over = (_count - _exempt) - (removedCount - removedExempt) > _limits.MaxCount || _bytes - removedBytes > _limits.MaxBytes || reader.GetInt64(2) < cutoff;
                    if (!over)
                    {
                        break;
                    }

                    lastRemoved = reader.GetInt64(0);
                    removedCount++;
                    removedBytes += reader.GetInt64(1);
                    removedExempt += reader.GetInt64(3);
                }
            }

            if (removedCount == 0)
            {
                return false;
            }

            using (var delete = _connection.CreateCommand())
            {
                delete.CommandText = "DELETE FROM updates WHERE position <= $last";
                delete.Parameters.AddWithValue("$last", lastRemoved);
                delete.ExecuteNonQuery();
            }

            _count -= removedCount;
            _bytes -= removedBytes;
            _exempt -= removedExempt;
            if (removedCount == CleanupBatch)
            {
                RequestCleanup();
                return true;
            }

            // Caught up: fold the WAL back into the file so it stays small.
            SqliteSchema.Execute(_connection, "PRAGMA wal_checkpoint(PASSIVE)");
            return false;
        }
        catch (Exception e)
        {
            LogCleanupFailed(_logger, _path, e);
            return false;
        }
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    /// <summary>The reason a 503 carries: SQLite's cause in plain words; for anything else only its kind, the log has the rest.</summary>
    private static string Describe(Exception exception) => exception switch
    {
        SqliteException { SqliteErrorCode: 26 } => "the file is not a SQLite database (corrupt, or another kind of file)",
        SqliteException { SqliteErrorCode: 11 } => "the database file is corrupt",
        SqliteException { SqliteErrorCode: 13 } => "the disk is full",
        SqliteException { SqliteErrorCode: 14 } => "the file cannot be opened (missing folder, or no permission)",
        SqliteException { SqliteErrorCode: 5 or 6 } => "the database is locked by another process",
        SqliteException { SqliteErrorCode: 8 } => "the file is read-only",
        SqliteException e => e.Message,
        _ => $"an unexpected {exception.GetType().Name} (details in the hub's log)",
    };

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Committing to {Path} failed: its {Count} publishes answer 503, later ones are tried afresh")]
    private static partial void LogCommitFailed(ILogger logger, string path, int count, Exception exception);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Retention cleanup of {Path} failed, will retry")]
    private static partial void LogCleanupFailed(ILogger logger, string path, Exception exception);

    private sealed class Pending(Update update)
    {
        /// <summary>A marker asking the loop for one retention step.</summary>
        public static readonly Pending Cleanup = new(new Update { Topics = [] });

        public Update Update { get; } = update;

        public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
