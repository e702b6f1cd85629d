using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;

namespace WebLab.Lab.Storage;

/// <summary>What a backup holds, written as its first entry.</summary>
/// <param name="Root">The data folder it was taken from (restores elsewhere rewrite the stored paths).</param>
public sealed record BackupManifest(string Root, int SchemaVersion, string CreatedAt, int Files);

/// <summary>
/// A lab's data folder as one .tar.gz, taken while the lab runs, and its restore. The database is copied online with
/// SQLite's backup API (a consistent snapshot; writers go on), then the folders the database points into. Left out:
/// tmp/ (unfinished writes), cache/ (dataset downloads, fetched again) and the lock file.
/// </summary>
public static class LabBackup
{
    public const string ManifestEntry = "weblab-backup.json";

    public const string DatabaseEntry = "lab.db";

    /// <summary>The folders a backup holds, relative to the data folder.</summary>
    public static IReadOnlyList<string> Folders { get; } = ["datasets", "checkpoints", "jobs", "uploads"];

    /// <summary>
    /// Backs up the lab in <paramref name="dataRoot"/> to <paramref name="archive"/> (written whole or not at all). The
    /// database snapshot comes first: a file deleted after it (a deleted job) can be missing from the archive, a file
    /// added after it is in the archive unreferenced; nothing the snapshot needs is ever half-written.
    /// </summary>
    public static async Task<BackupManifest> CreateAsync(string dataRoot, string archive, CancellationToken cancellationToken = default)
    {
        var root = Path.GetFullPath(dataRoot);
        var database = Path.Combine(root, DatabaseEntry);
        if (!File.Exists(database))
            throw new BadInputException($"There is no lab in {root} (no {DatabaseEntry}).");
        var snapshot = Path.Combine(Path.GetTempPath(), $"weblab-backup-{Guid.NewGuid():N}.db");
        var partial = archive + ".partial";
        try
        {
            var version = await SnapshotAsync(database, snapshot, cancellationToken);
            var files = Folders.SelectMany(f => FilesUnder(root, f)).ToList();
            var manifest = new BackupManifest(root, version, DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture), files.Count);
            await WriteArchiveAsync(partial, manifest, snapshot, root, files, cancellationToken);
            File.Move(partial, archive, overwrite: true);
            return manifest;
        }
        finally
        {
            File.Delete(snapshot);
            File.Delete(partial);
        }
    }

    private static async Task<int> SnapshotAsync(string database, string snapshot, CancellationToken cancellationToken)
    {
        await using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        await using var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = snapshot, Pooling = false }.ToString());
        await source.OpenAsync(cancellationToken);
        await source.ExecuteAsync("PRAGMA busy_timeout = 10000;");
        await target.OpenAsync(cancellationToken);
        source.BackupDatabase(target);
        return await target.ExecuteScalarAsync<int>("PRAGMA user_version;");
    }

    private static IEnumerable<string> FilesUnder(string root, string folder)
    {
        var path = Path.Combine(root, folder);
        return Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories) : [];
    }

    private static async Task WriteArchiveAsync(string path, BackupManifest manifest, string snapshot, string root, List<string> files,
        CancellationToken cancellationToken)
    {
        await using var output = File.Create(path);
        await using var gzip = new GZipStream(output, CompressionLevel.Fastest);
        await using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        var manifestEntry = new PaxTarEntry(TarEntryType.RegularFile, ManifestEntry) { DataStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, WebLabJson.Compact)) };
        await tar.WriteEntryAsync(manifestEntry, cancellationToken);
        await tar.WriteEntryAsync(snapshot, DatabaseEntry, cancellationToken);
        foreach (var file in files)
        {
            try
            {
                await tar.WriteEntryAsync(file, Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'), cancellationToken);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // deleted since the listing (a deleted job, a cleaned upload): the snapshot may still name it, nothing to copy
            }
        }
    }

    /// <summary>
    /// Restores <paramref name="archive"/> into <paramref name="dataRoot"/>, which must not hold a lab. Paths the database
    /// stores are moved from the backup's folder to this one, and the result must pass PRAGMA integrity_check before it
    /// is moved into place: a restore that fails leaves <paramref name="dataRoot"/> as it was.
    /// </summary>
    public static async Task<BackupManifest> RestoreAsync(string archive, string dataRoot, CancellationToken cancellationToken = default)
    {
        var root = Path.GetFullPath(dataRoot);
        if (File.Exists(Path.Combine(root, DatabaseEntry)))
            throw new BadInputException($"{root} already holds a lab; restore into an empty folder (move the old one aside first).");
        if (!File.Exists(archive))
            throw new BadInputException($"No backup at {archive}.");
        // Staged beside the target (same file system: the final moves are renames).
        var staging = $"{root.TrimEnd(Path.DirectorySeparatorChar)}.restoring-{Guid.NewGuid():N}";
        try
        {
            var manifest = await UnpackAsync(archive, staging, root, cancellationToken);
            Directory.CreateDirectory(root);
            foreach (var entry in new DirectoryInfo(staging).EnumerateFileSystemInfos())
            {
                var target = Path.Combine(root, entry.Name);
                if (entry is DirectoryInfo directory)
                    directory.MoveTo(target);
                else
                    ((FileInfo)entry).MoveTo(target);
            }
            return manifest;
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    private static async Task<BackupManifest> UnpackAsync(string archive, string staging, string root, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(staging);
        try
        {
            await using var input = File.OpenRead(archive);
            await using var gzip = new GZipStream(input, CompressionMode.Decompress);
            await TarFile.ExtractToDirectoryAsync(gzip, staging, overwriteFiles: false, cancellationToken); // refuses entries outside staging
        }
        catch (Exception e) when (e is InvalidDataException or IOException && e is not FileNotFoundException)
        {
            throw new BadInputException($"{archive} is not a WebLab backup ({e.Message}).");
        }
        var manifestPath = Path.Combine(staging, ManifestEntry);
        if (!File.Exists(manifestPath) || !File.Exists(Path.Combine(staging, DatabaseEntry)))
            throw new BadInputException($"{archive} is not a WebLab backup (no {ManifestEntry} or {DatabaseEntry}).");
        var manifest = WebLabJson.Deserialize<BackupManifest>(await File.ReadAllTextAsync(manifestPath, cancellationToken), archive);
        if (manifest.SchemaVersion > Migrations.Latest)
            throw new BadInputException($"The backup is at schema version {manifest.SchemaVersion}, newer than this WebLab build ({Migrations.Latest}).");
        File.Delete(manifestPath);
        var db = new Database(Path.Combine(staging, DatabaseEntry));
        try
        {
            await RebaseAsync(db, manifest.Root, root, cancellationToken);
            if (await db.IntegrityCheckAsync(cancellationToken) is var check and not "ok")
                throw new BadInputException($"The backup's database fails its integrity check: {check}");
        }
        catch (SqliteException e)
        {
            throw new BadInputException($"{archive} does not hold a WebLab database ({e.Message}).");
        }
        finally
        {
            await using var connection = await db.OpenAsync(CancellationToken.None);
            SqliteConnection.ClearPool(connection); // release the staged file before it moves
        }
        return manifest;
    }

    /// <summary>Stored paths point into the data folder; a restore elsewhere moves them with it.</summary>
    private static async Task RebaseAsync(Database db, string from, string to, CancellationToken cancellationToken)
    {
        if (from == to)
            return;
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            foreach (var table in new[] { "checkpoints", "datasets", "files" })
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"UPDATE {table} SET path = @to || substr(path, length(@from) + 1) WHERE substr(path, 1, length(@from) + 1) = @from || '/'",
                    new { from, to }, transaction, cancellationToken: cancellationToken));
            }
            await transaction.CommitAsync(cancellationToken);
        }
    }
}
