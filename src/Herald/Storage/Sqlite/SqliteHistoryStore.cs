using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Herald.Storage.Sqlite;

/// <summary>
/// History in one local SQLite file (WAL, <c>synchronous=FULL</c>): a publish is acknowledged only once committed,
/// concurrent publishes share one commit, and replay survives restarts and crashes. One process owns the file.
/// </summary>
public sealed partial class SqliteHistoryStore : IHistoryStore, IAsyncDisposable
{
    /// <summary>
    /// 5 s: how long a statement waits for a lock held by another program before the publish is refused with 503;
    /// long enough to ride out a backup tool's brief lock, short enough that publishers see the problem.
    /// </summary>
    public const int LockWaitSeconds = 5;

    /// <summary>How many unreadable rows a store remembers having reported, so each is logged once, not on every replay.</summary>
    private const int ReportedRowsLimit = 1024;

    private readonly string _path;
    private readonly string _readConnectionString;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, bool> _reportedRows = new();
    private readonly FileStream _lock;
    private readonly SqliteWriter _writer;
    private readonly Channel<StoredUpdate> _feed = Channel.CreateUnbounded<StoredUpdate>(new UnboundedChannelOptions { SingleReader = true });
    private int _feedTaken;

    /// <summary>Opens or creates the file; throws <see cref="HistoryStoreException"/> with a clear reason when it cannot.</summary>
    public SqliteHistoryStore(string path, HistoryLimits limits, TimeProvider time, ILogger<SqliteHistoryStore> logger)
        : this(path, limits, time, logger, metrics: null)
    {
    }

    /// <summary>As above, measuring each commit's batch on <paramref name="metrics"/>.</summary>
    public SqliteHistoryStore(string path, HistoryLimits limits, TimeProvider time, ILogger<SqliteHistoryStore> logger, HeraldMetrics? metrics)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
        _lock = AcquireLock(_path);
        try
        {
            var builder = new SqliteConnectionStringBuilder { DataSource = _path, Pooling = true, DefaultTimeout = LockWaitSeconds };
            _readConnectionString = builder.ToString();
            _writer = new SqliteWriter(_path, builder.ToString(), limits, time, _feed.Writer, logger, metrics);
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
    }

    public string FilePath => _path;

    /// <summary>Applies retention now instead of at the next background step.</summary>
    internal Task EnforceRetentionAsync() => _writer.EnforceRetentionAsync();

    public ValueTask<AppendResult> AppendAsync(Update update, CancellationToken cancellationToken)
    {
        // Refused here, to its caller: past this point the update shares a batch (and a transaction) with others.
        StorableUpdate.RequireId(update);
        return _writer.AppendAsync(update, cancellationToken);
    }

    public ValueTask<long?> FindPositionAsync(string id, CancellationToken cancellationToken) =>
        ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT position FROM updates WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteScalar() is long position ? position : (long?)null;
        });

    /// <summary>
    /// Rows that cannot be read back (damaged by another program) are logged once and passed over; the page is filled
    /// past them, so a replay reading until an empty page never stops early at one.
    /// </summary>
    public ValueTask<IReadOnlyList<StoredUpdate>> ReadAfterAsync(long afterPosition, int maxCount, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<StoredUpdate>>(connection =>
        {
            // One short statement per page: a long replay never pins a read snapshot that would stop WAL checkpoints.
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {SqliteRows.HistoryColumns} FROM updates WHERE position > $after ORDER BY position LIMIT $limit";
            var after = command.Parameters.AddWithValue("$after", afterPosition);
            var limit = command.Parameters.AddWithValue("$limit", maxCount);
            var page = new List<StoredUpdate>();
            while (true)
            {
                var rows = 0;
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        rows++;
                        after.Value = reader.GetInt64(0);
                        if (TryRead(reader) is { } stored)
                        {
                            page.Add(stored);
                        }
                    }
                }

                if (page.Count == maxCount || rows < (int)limit.Value!)
                {
                    return page;
                }

                limit.Value = maxCount - page.Count;
            }
        });

    public ValueTask<IReadOnlyList<RetainedTopic>> ListRetainedAsync(IReadOnlyCollection<string>? topics, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<RetainedTopic>>(connection =>
        {
            using var command = connection.CreateCommand();
            var listed = new List<RetainedTopic>();
            if (topics is null)
            {
                command.CommandText = "SELECT topic, position FROM retained";
                Collect(command);
                return listed;
            }

            command.CommandText = "SELECT topic, position FROM retained WHERE topic = $topic";
            var parameter = command.Parameters.Add(new SqliteParameter { ParameterName = "$topic" });
            foreach (var topic in topics)
            {
                parameter.Value = topic;
                Collect(command);
            }

            return listed;

            void Collect(SqliteCommand c)
            {
                using var reader = c.ExecuteReader();
                while (reader.Read())
                {
                    listed.Add(new RetainedTopic(reader.GetString(0), reader.GetInt64(1)));
                }
            }
        });

    public ValueTask<IReadOnlyList<StoredUpdate>> ReadRetainedAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<StoredUpdate>>(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {SqliteRows.Columns} FROM retained WHERE topic = $topic";
            var parameter = command.Parameters.Add(new SqliteParameter { ParameterName = "$topic" });
            var values = new List<StoredUpdate>(topics.Count);
            foreach (var topic in topics)
            {
                parameter.Value = topic;
                using var reader = command.ExecuteReader();
                if (reader.Read() && TryRead(reader) is { } stored)
                {
                    values.Add(stored);
                }
            }

            return values;
        });

    public bool MayHoldRetained => _writer.MayHoldRetained;

    public ValueTask<long> GetHeadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_writer.Head);

    public ValueTask<string> GetGenerationAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_writer.Generation);

    public async IAsyncEnumerable<StoredUpdate> ReadFeedAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _feedTaken, 1) != 0)
        {
            throw new InvalidOperationException("The feed of a history store has a single consumer: the hub's dispatcher.");
        }

        await foreach (var stored in _feed.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return stored;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        SqliteConnection.ClearPool(new SqliteConnection(_readConnectionString));
        _lock.Dispose();
    }

    private StoredUpdate? TryRead(SqliteDataReader reader)
    {
        try
        {
            return SqliteRows.Read(reader);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or InvalidCastException or FormatException)
        {
            var position = reader.GetInt64(0);
            if (_reportedRows.Count < ReportedRowsLimit && _reportedRows.TryAdd(position, true))
            {
                LogSkippedRow(_logger, position, _path, e);
            }

            return null;
        }
    }

    /// <summary>
    /// Every read runs on the thread pool, never on the caller's thread: `herald serve` runs request code on the socket
    /// engine's thread (Kestrel's inline scheduling), which a disk read would stall for every connection. Reads are
    /// replays and lookups, never part of a delivery.
    /// </summary>
    private ValueTask<T> ReadAsync<T>(Func<SqliteConnection, T> read) => new(Task.Run(() => Read(read)));

    private T Read<T>(Func<SqliteConnection, T> read)
    {
        try
        {
            using var connection = new SqliteConnection(_readConnectionString);
            connection.Open();
            return read(connection);
        }
        catch (SqliteException e)
        {
            throw new HistoryStoreException($"cannot read the history file '{_path}': {e.Message}", e);
        }
    }

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Skipped position {Position} of {Path}: the row cannot be read back (damaged by another program?); replay passes over it")]
    private static partial void LogSkippedRow(ILogger logger, long position, string path, Exception exception);

    private static FileStream AcquireLock(string path)
    {
        var directory = System.IO.Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HistoryStoreException($"cannot create the folder of the history file '{path}': {e.Message}", e);
        }

        var lockPath = path + ".lock";
        try
        {
            // FileShare.None takes an exclusive advisory lock: a second hub on the same file would miss this one's publishes.
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (File.Exists(lockPath))
        {
            throw new HistoryStoreException($"the history file '{path}' is in use by another Herald process (lock '{lockPath}' is held); stop it or use another --store path", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HistoryStoreException($"cannot create the lock file '{lockPath}': {e.Message}", e);
        }
    }
}

/// <summary>Maps rows of the <c>updates</c> table to and from updates.</summary>
internal static class SqliteRows
{
    public const string Columns = "position, id, topics, data, type, retry, private, stored_at, retain";

    /// <summary>The columns of a history row: <see cref="Columns"/> and whether a newer latest value superseded it.</summary>
    public const string HistoryColumns = Columns + ", superseded";

    public static StoredUpdate Read(SqliteDataReader reader)
    {
        var update = new Update
        {
            Id = reader.GetString(1),
            Topics = JsonSerializer.Deserialize(reader.GetString(2), SqliteJson.Default.StringArray) ?? [],
            Data = reader.GetString(3),
            Type = reader.IsDBNull(4) ? null : reader.GetString(4),
            Retry = reader.IsDBNull(5) ? null : reader.GetInt64(5),
            Private = reader.GetInt64(6) != 0,
            Retain = reader.GetInt64(8) != 0,
        };
        return new StoredUpdate(reader.GetInt64(0), update, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)))
        {
            Superseded = reader.FieldCount > 9 && reader.GetInt64(9) != 0,
        };
    }

    public static string TopicsJson(Update update) => JsonSerializer.Serialize(update.Topics, SqliteJson.Default.IReadOnlyListString);
}
