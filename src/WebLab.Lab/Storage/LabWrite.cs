using Microsoft.Data.Sqlite;
using WebLab.Lab.Catalog;

namespace WebLab.Lab.Storage;

/// <summary>
/// A unit of work: writes that commit together with a job's state change (or not at all). Job kinds register their
/// outputs through it; the SQL stays in the stores, and no raw connection or transaction leaves the storage layer.
/// </summary>
public sealed class LabWrite
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly TimeProvider _time;

    internal LabWrite(SqliteConnection connection, SqliteTransaction transaction, TimeProvider time)
    {
        _connection = connection;
        _transaction = transaction;
        _time = time;
    }

    /// <summary>Registers a checkpoint a job wrote.</summary>
    public Task AddCheckpointAsync(CheckpointRecord checkpoint, CancellationToken cancellationToken = default) =>
        CheckpointStore.AddAsync(_connection, _transaction, checkpoint, _time, cancellationToken);

    /// <summary>Ingesting -> ready with its manifest, or failed with <paramref name="error"/>.</summary>
    public Task<bool> FinishIngestAsync(string datasetId, string? manifestJson, string? error, CancellationToken cancellationToken = default) =>
        DatasetStore.FinishIngestAsync(_connection, _transaction, datasetId, manifestJson, error, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one IMMEDIATE transaction of <paramref name="db"/> and commits it.</summary>
    internal static async Task InTransactionAsync(Database db, Func<LabWrite, Task> work, CancellationToken cancellationToken)
    {
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            await work(new LabWrite(connection, transaction, db.Time));
            await transaction.CommitAsync(cancellationToken);
        }
    }
}
