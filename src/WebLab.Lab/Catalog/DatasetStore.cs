using Dapper;
using Microsoft.Data.Sqlite;
using WebLab.Lab.Access;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Catalog;

/// <summary>A dataset uploaded to the lab. <see cref="Path"/> is the zip or IDX folder the engine reads.</summary>
public sealed record DatasetRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Owner { get; init; }
    /// <summary>"zip" or "idx".</summary>
    public required string Source { get; init; }
    /// <summary>ingesting, ready or failed.</summary>
    public required string State { get; init; }
    public required string Path { get; init; }
    public string? ManifestJson { get; init; }
    public string? Error { get; init; }
    public string? JobId { get; init; }
    public required string CreatedAt { get; init; }
    public Visibility Visibility { get; init; }
}

/// <summary>The datasets table.</summary>
public sealed class DatasetStore(Database db)
{
    public const string Ingesting = "ingesting";
    public const string Ready = "ready";
    public const string Failed = "failed";

    public async Task AddAsync(DatasetRecord dataset, SqliteConnection? connection = null, SqliteTransaction? transaction = null,
        CancellationToken cancellationToken = default)
    {
        const string sql = """
            INSERT INTO datasets (id, name, owner, source, state, path, manifest_json, error, job_id, created_at, visibility)
            VALUES (@Id, @Name, @Owner, @Source, @State, @Path, @ManifestJson, @Error, @JobId, @CreatedAt, @visibilityText)
            """;
        var parameters = new DynamicParameters(dataset);
        parameters.Add("visibilityText", AccessPolicy.Text(dataset.Visibility));
        async Task WriteAsync(SqliteConnection c, SqliteTransaction? t)
        {
            await c.ExecuteAsync(new CommandDefinition(sql, parameters, t, cancellationToken: cancellationToken));
            var files = File.Exists(dataset.Path) ? [dataset.Path]
                : Directory.Exists(dataset.Path) ? Directory.GetFiles(dataset.Path) : Array.Empty<string>();
            foreach (var file in files)
                await FileStore.AddAsync(c, t, "dataset", dataset.Id, "data", file, db.Time, cancellationToken);
        }
        if (connection is not null)
        {
            await WriteAsync(connection, transaction);
            return;
        }
        var (own, ownTransaction) = await db.BeginWriteAsync(cancellationToken);
        await using (own)
        await using (ownTransaction)
        {
            await WriteAsync(own, ownTransaction);
            await ownTransaction.CommitAsync(cancellationToken);
        }
    }

    public async Task<DatasetRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<DatasetRecord>(new CommandDefinition(
            "SELECT * FROM datasets WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <param name="viewer">Only datasets this caller may see; null: all (the lab itself).</param>
    public async Task<IReadOnlyList<DatasetRecord>> ListAsync(Caller? viewer = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<DatasetRecord>(new CommandDefinition(
            $"SELECT * FROM datasets WHERE {AccessPolicy.VisibleSql} ORDER BY id DESC", AccessPolicy.WithViewer(new { }, viewer),
            cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>Ingesting -> ready (with the manifest) or failed (with the reason), inside the caller's transaction.</summary>
    public static async Task<bool> FinishIngestAsync(SqliteConnection connection, SqliteTransaction transaction, string id, string? manifestJson,
        string? error, CancellationToken cancellationToken)
    {
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE datasets SET state = @state, manifest_json = COALESCE(@manifestJson, manifest_json), error = @error
            WHERE id = @id AND state = 'ingesting'
            """, new { id, state = error is null ? Ready : Failed, manifestJson, error }, transaction, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>
    /// The dataset as users should see it: one still "ingesting" whose ingest job ended without updating it (a lost
    /// worker after the last attempt, a cancel) is failed, with the job's error.
    /// </summary>
    public static async Task<DatasetRecord> WithIngestOutcomeAsync(DatasetRecord dataset, Jobs.JobStore jobs, CancellationToken cancellationToken = default)
    {
        if (dataset.State != Ingesting || dataset.JobId is null)
            return dataset;
        var job = await jobs.GetAsync(dataset.JobId, cancellationToken);
        return job is not null && Jobs.JobStates.IsUnsuccessful(job.State)
            ? dataset with { State = Failed, Error = job.Error ?? $"ingest {Jobs.JobStates.Label(job.State)}" }
            : dataset;
    }

    public async Task SetJobAsync(string id, string jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE datasets SET job_id = @jobId WHERE id = @id", new { id, jobId }, cancellationToken: cancellationToken));
    }

    /// <summary>Deletes the record and its rows in the files table (the caller removes the folder).</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM datasets WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)) == 1;
            await FileStore.DeleteAsync(connection, transaction, "dataset", id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return deleted;
        }
    }
}
