using System.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace WebLab.Lab.Storage;

/// <summary>
/// The lab's SQLite database: one connection per operation, WAL, a busy timeout, foreign keys on, and
/// synchronous=FULL so a job's state change survives power loss once acknowledged.
/// </summary>
public sealed class Database
{
    private readonly string _connectionString;

    static Database()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    public Database(string path, TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
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
            "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", cancellationToken: cancellationToken));
        return connection;
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
