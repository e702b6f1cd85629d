using System.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace WebLab.Lab.Storage;

/// <summary>
/// The lab's SQLite database: one connection per operation, WAL, a busy timeout, foreign keys on, and
/// synchronous=FULL so a job's state change survives power loss once acknowledged.
/// <para>
/// WAL checkpoint policy: every connection keeps SQLite's automatic checkpoint at 1,000 pages (about 4 MB), a passive
/// checkpoint that never waits for readers, so the WAL is folded back after every few megabytes of writes. A passive
/// checkpoint cannot complete while a reader holds an old snapshot, and the WAL file never shrinks by itself, so
/// <see cref="LabMaintenance"/> also runs <see cref="CheckpointAsync"/> (wal_checkpoint(TRUNCATE)) every period: the
/// WAL returns to zero bytes once no reader needs it, and a long-lived lab never keeps a WAL as large as its busiest hour.
/// </para>
/// </summary>
public sealed class Database
{
    private readonly string _connectionString;
    private readonly long? _maxBytes;

    static Database()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    /// <param name="maxBytes">
    /// Largest the database file may grow (PRAGMA max_page_count on every connection): past it, writes fail as they do
    /// on a full disk while reads go on. Null: bounded by the disk alone.
    /// </param>
    public Database(string path, TimeProvider? time = null, long? maxBytes = null)
    {
        Time = time ?? TimeProvider.System;
        _maxBytes = maxBytes;
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The lab's clock: every time the stores record (and every id they mint) is read from it.</summary>
    public TimeProvider Time { get; }

    /// <summary>Absolute path of the database file.</summary>
    public string Path { get; }

    /// <summary>Opens a connection with WebLab's pragmas applied.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 1000;",
            cancellationToken: cancellationToken));
        if (_maxBytes is { } max)
        {
            var pageSize = await connection.ExecuteScalarAsync<long>(new CommandDefinition("PRAGMA page_size;", cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition($"PRAGMA max_page_count = {Math.Max(1, max / pageSize)};", cancellationToken: cancellationToken));
        }
        return connection;
    }

    /// <summary>
    /// Closes the pooled connections. A connection whose write hit a full disk keeps failing with SQLITE_FULL even once
    /// space is back (found on a full tmpfs); new connections write again.
    /// </summary>
    public void ResetConnections()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>Folds the WAL back into the database and truncates it to zero bytes (see the checkpoint policy above).</summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA wal_checkpoint(TRUNCATE);", cancellationToken: cancellationToken));
    }

    /// <summary>Opens a connection and begins an IMMEDIATE transaction (takes the write lock up front: no upgrade deadlocks).</summary>
    public async Task<(SqliteConnection Connection, SqliteTransaction Transaction)> BeginWriteAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken);
        try
        {
            var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
            return (connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates or upgrades the schema and switches the file to WAL.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL;", cancellationToken: cancellationToken));
        await Migrations.ApplyAsync(connection, cancellationToken);
    }

    /// <summary>Runs PRAGMA integrity_check; "ok" when the file is sound.</summary>
    public async Task<string> IntegrityCheckAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition("PRAGMA integrity_check;", cancellationToken: cancellationToken)) ?? "";
    }
}
