using Dapper;
using Microsoft.Data.Sqlite;
using WebLab.Lab.Access;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Catalog;

/// <summary>A checkpoint in the lab's model zoo; <see cref="InfoJson"/> is its WebLab metadata (CheckpointInfo).</summary>
public sealed record CheckpointRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Owner { get; init; }
    public required string Path { get; init; }
    public required string InfoJson { get; init; }
    public string? ParentId { get; init; }
    public string? JobId { get; init; }
    public bool Builtin { get; init; }
    public required string CreatedAt { get; init; }
    public Visibility Visibility { get; init; }
}

/// <summary>The checkpoints table.</summary>
public sealed class CheckpointStore(Database db)
{
    internal static async Task AddAsync(SqliteConnection connection, SqliteTransaction? transaction, CheckpointRecord checkpoint, TimeProvider time,
        CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO checkpoints (id, name, owner, path, info_json, parent_id, job_id, builtin, created_at, visibility)
            VALUES (@Id, @Name, @Owner, @Path, @InfoJson, @ParentId, @JobId, @Builtin, @CreatedAt, @visibilityText)
            """, Parameters(checkpoint), transaction, cancellationToken: cancellationToken));
        await FileStore.AddAsync(connection, transaction, "checkpoint", checkpoint.Id, "weights", checkpoint.Path, time, cancellationToken);
    }

    public async Task<CheckpointRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<CheckpointRecord>(new CommandDefinition(
            "SELECT * FROM checkpoints WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <param name="viewer">Only checkpoints this caller may see; null: all (the lab itself).</param>
    public async Task<IReadOnlyList<CheckpointRecord>> ListAsync(Caller? viewer = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<CheckpointRecord>(new CommandDefinition(
            $"SELECT * FROM checkpoints WHERE {AccessPolicy.VisibleSql} ORDER BY builtin DESC, id DESC", AccessPolicy.WithViewer(new { }, viewer),
            cancellationToken: cancellationToken))).ToList();
    }

    private static DynamicParameters Parameters(CheckpointRecord checkpoint)
    {
        var parameters = new DynamicParameters(checkpoint);
        parameters.Add("visibilityText", AccessPolicy.Text(checkpoint.Visibility));
        return parameters;
    }

    /// <summary>What users may write instead of a checkpoint id for the built-in demo source.</summary>
    public const string DemoAlias = "demo";

    /// <summary>The checkpoint a user names: a ckpt_ id or <see cref="DemoAlias"/>; null when there is none.</summary>
    public async Task<CheckpointRecord?> FindAsync(string reference, CancellationToken cancellationToken = default) =>
        reference == DemoAlias ? await BuiltinAsync(cancellationToken)
        : Ids.IsValid(reference, "ckpt") ? await GetAsync(reference, cancellationToken)
        : null;

    /// <summary>The built-in demo source, once it exists (the built-in checkpoint its pretraining job wrote).</summary>
    public async Task<CheckpointRecord?> BuiltinAsync(CancellationToken cancellationToken = default) =>
        await BuiltinOfKindAsync("pretrain", cancellationToken);

    /// <summary>The built-in checkpoint written by a job of <paramref name="kind"/> (the lab's own sources differ by kind).</summary>
    public async Task<CheckpointRecord?> BuiltinOfKindAsync(string kind, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<CheckpointRecord>(new CommandDefinition("""
            SELECT c.* FROM checkpoints c JOIN jobs j ON j.id = c.job_id
            WHERE c.builtin = 1 AND j.kind = @kind ORDER BY c.id LIMIT 1
            """, new { kind }, cancellationToken: cancellationToken));
    }

    /// <summary>Deletes a checkpoint's record (whether a built-in one may go is AccessPolicy's call) and its rows in the files table; the caller removes the file.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM checkpoints WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)) == 1;
            if (deleted)
                await FileStore.DeleteAsync(connection, transaction, "checkpoint", id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return deleted;
        }
    }
}
