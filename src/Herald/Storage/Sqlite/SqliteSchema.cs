using Microsoft.Data.Sqlite;

namespace Herald.Storage.Sqlite;

/// <summary>
/// Creates, recognises and migrates Herald's history file. A file that is not Herald's, or was written by a newer
/// Herald, is refused and never modified: migrations only go forward, and only on files we know.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>"HRLD": marks the file as Herald's in the SQLite header, so foreign databases are never touched.</summary>
    public const int ApplicationId = 0x48524C44;

    public const int CurrentVersion = 2;

    /// <summary>Opens Herald's file, creating it when empty; returns the file's generation.</summary>
    public static string OpenOrCreate(SqliteConnection connection, string path)
    {
        var applicationId = Convert.ToInt32(Scalar(connection, "PRAGMA application_id"));
        var tableCount = Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM sqlite_master"));
        if (applicationId == 0 && tableCount == 0)
        {
            Create(connection);
            return Generation(connection);
        }

        if (applicationId != ApplicationId)
        {
            throw new HistoryStoreException($"'{path}' is not a Herald history file (another program's SQLite database); refusing to modify it");
        }

        var version = Convert.ToInt32(Scalar(connection, "SELECT value FROM herald_meta WHERE key = 'schema_version'"));
        if (version > CurrentVersion)
        {
            throw new HistoryStoreException($"'{path}' was written by a newer Herald (schema {version}, this version knows {CurrentVersion}); upgrade Herald or use another file");
        }

        // Forward migrations from older schema versions, one step per version, each inside a transaction.
        if (version < 2)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, "ALTER TABLE updates ADD COLUMN retain INTEGER NOT NULL DEFAULT 0; ALTER TABLE updates ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;" + RetainedTable + "UPDATE herald_meta SET value = '2' WHERE key = 'schema_version';", transaction);
            transaction.Commit();
        }

        return Generation(connection);
    }

    /// <summary>
    /// The file's generation, made with the file (or on first open by this version): a replaced or recreated file has
    /// another, so cursors into the old one are recognised. Older Herald versions ignore the extra meta row.
    /// </summary>
    private static string Generation(SqliteConnection connection)
    {
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT OR IGNORE INTO herald_meta (key, value) VALUES ('generation', $generation)";
            insert.Parameters.AddWithValue("$generation", StoreGeneration.New());
            insert.ExecuteNonQuery();
        }

        return (string)Scalar(connection, "SELECT value FROM herald_meta WHERE key = 'generation'")!;
    }

    private static void Create(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        Execute(connection, $"""
            PRAGMA application_id = {ApplicationId};
            CREATE TABLE herald_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
            INSERT INTO herald_meta (key, value) VALUES ('schema_version', '{CurrentVersion}');
            -- AUTOINCREMENT: positions never repeat, even after retention empties the table.
            CREATE TABLE updates (
                position INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                topics TEXT NOT NULL,
                data TEXT NOT NULL,
                type TEXT,
                retry INTEGER,
                private INTEGER NOT NULL,
                stored_at INTEGER NOT NULL,
                size INTEGER NOT NULL,
                retain INTEGER NOT NULL DEFAULT 0,
                superseded INTEGER NOT NULL DEFAULT 0
            );
            """ + RetainedTable, transaction);
        transaction.Commit();
    }

    /// <summary>
    /// Schema 2: the latest value of each retained topic, a copy of its update kept apart from <c>updates</c>, so
    /// history retention never removes it. The columns after <c>topic</c> are <see cref="SqliteRows.Columns"/>.
    /// </summary>
    private const string RetainedTable = """
        CREATE TABLE retained (
            topic TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            id TEXT NOT NULL,
            topics TEXT NOT NULL,
            data TEXT NOT NULL,
            type TEXT,
            retry INTEGER,
            private INTEGER NOT NULL,
            stored_at INTEGER NOT NULL,
            retain INTEGER NOT NULL
        ) WITHOUT ROWID;
        """;

    public static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
