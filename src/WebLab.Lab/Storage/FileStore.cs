using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace WebLab.Lab.Storage;

/// <summary>A file under the data folder that belongs to a dataset, checkpoint or job.</summary>
public sealed record FileRecord
{
    public required string Id { get; init; }
    public required string OwnerKind { get; init; }
    public required string OwnerId { get; init; }
    public required string Role { get; init; }
    public required string Path { get; init; }
    public long Bytes { get; init; }
    public string? Sha256 { get; init; }
    public required string CreatedAt { get; init; }
}

/// <summary>The files table: which record owns which file, so deleting a record can remove exactly its files.</summary>
public static class FileStore
{
    public static async Task AddAsync(SqliteConnection connection, SqliteTransaction? transaction, string ownerKind, string ownerId, string role,
        string path, TimeProvider time, CancellationToken cancellationToken = default)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO files (id, owner_kind, owner_id, role, path, bytes, created_at)
            VALUES (@id, @ownerKind, @ownerId, @role, @path, @bytes, @now)
            """, new
        {
            id = Ids.New("file", time),
            ownerKind,
            ownerId,
            role,
            path,
            bytes = File.Exists(path) ? new FileInfo(path).Length : 0,
            now = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
        }, transaction, cancellationToken: cancellationToken));
    }

    public static async Task<IReadOnlyList<FileRecord>> ListAsync(SqliteConnection connection, string ownerKind, string ownerId,
        CancellationToken cancellationToken = default) =>
        (await connection.QueryAsync<FileRecord>(new CommandDefinition(
            "SELECT * FROM files WHERE owner_kind = @ownerKind AND owner_id = @ownerId ORDER BY id", new { ownerKind, ownerId },
            cancellationToken: cancellationToken))).ToList();

    public static async Task DeleteAsync(SqliteConnection connection, SqliteTransaction? transaction, string ownerKind, string ownerId,
        CancellationToken cancellationToken = default) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM files WHERE owner_kind = @ownerKind AND owner_id = @ownerId", new { ownerKind, ownerId }, transaction,
            cancellationToken: cancellationToken));
}
