using System.Globalization;
using Dapper;
using WebLab.Lab.Catalog;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Tests.Storage;

public sealed class LabBackupTests
{
    [Fact]
    public async Task ABackupOfALiveLab_RestoresElsewhere_AndReadsBack()
    {
        await using var lab = await TempLab.CreateAsync();
        var folder = new DataFolder(lab.Folder);
        var checkpointPath = folder.CheckpointFile("ckpt_33333333333333333");
        await File.WriteAllBytesAsync(checkpointPath, [1, 2, 3, 4]);
        await using (var connection = await lab.Db.OpenAsync())
        {
            await CheckpointStore.AddAsync(connection, null, new CheckpointRecord
            {
                Id = "ckpt_33333333333333333", Name = "kept", Owner = "alice", Path = checkpointPath, InfoJson = "{}",
                CreatedAt = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            }, TimeProvider.System, CancellationToken.None);
        }
        var before = await lab.SubmitAsync(name: "before the backup");
        await File.WriteAllTextAsync(Path.Combine(folder.Temp, "tmp_unfinished"), "not kept");
        var archive = Path.Combine(lab.Folder, "..", $"weblab-backup-test-{Guid.NewGuid():N}.tar.gz");
        var restored = Path.Combine(Path.GetTempPath(), $"weblab-restore-test-{Guid.NewGuid():N}");

        try
        {
            // The lab keeps writing while the backup runs.
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                    await lab.SubmitAsync(name: "during");
            });
            var manifest = await LabBackup.CreateAsync(lab.Folder, archive);
            await stop.CancelAsync();
            await writer;

            var back = await LabBackup.RestoreAsync(archive, restored);

            Assert.Equal(Path.GetFullPath(lab.Folder), back.Root);
            Assert.Equal(Migrations.Latest, manifest.SchemaVersion);
            var db = new Database(Path.Combine(restored, "lab.db"));
            Assert.Equal("ok", await db.IntegrityCheckAsync());
            Assert.Equal("before the backup", (await new WebLab.Lab.Jobs.JobStore(db).GetAsync(before.Id))!.Name);
            var checkpoint = await new CheckpointStore(db).GetAsync("ckpt_33333333333333333");
            Assert.Equal(Path.Combine(restored, "checkpoints", "ckpt_33333333333333333.weblab"), checkpoint!.Path); // moved with the folder
            Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(checkpoint.Path));
            await using var connection = await db.OpenAsync();
            Assert.Equal(checkpoint.Path, await connection.ExecuteScalarAsync<string>("SELECT path FROM files WHERE owner_id = 'ckpt_33333333333333333'"));
            Assert.False(File.Exists(Path.Combine(restored, "tmp", "tmp_unfinished")));
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool(connection);
        }
        finally
        {
            File.Delete(archive);
            if (Directory.Exists(restored))
                Directory.Delete(restored, recursive: true);
        }
    }

    [Fact]
    public async Task Restore_RefusesAFolderThatHoldsALab_AndChangesNothing()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.SubmitAsync();
        var archive = Path.Combine(Path.GetTempPath(), $"weblab-backup-test-{Guid.NewGuid():N}.tar.gz");
        try
        {
            await LabBackup.CreateAsync(lab.Folder, archive);

            var e = await Assert.ThrowsAsync<BadInputException>(() => LabBackup.RestoreAsync(archive, lab.Folder));

            Assert.Contains("already holds a lab", e.Message, StringComparison.Ordinal);
            Assert.Equal(job, await lab.Jobs.GetAsync(job.Id));
        }
        finally
        {
            File.Delete(archive);
        }
    }

    [Fact]
    public async Task Backup_OfAFolderWithoutALab_IsBadInput_AndWritesNothing()
    {
        var empty = Directory.CreateTempSubdirectory("weblab-nolab-");
        var archive = Path.Combine(empty.FullName, "out.tar.gz");
        try
        {
            await Assert.ThrowsAsync<BadInputException>(() => LabBackup.CreateAsync(empty.FullName, archive));
            Assert.Empty(empty.EnumerateFileSystemInfos());
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Restore_OfSomethingElse_IsBadInput_AndLeavesNoFolderBehind()
    {
        var archive = Path.Combine(Path.GetTempPath(), $"weblab-not-a-backup-{Guid.NewGuid():N}.tar.gz");
        var target = Path.Combine(Path.GetTempPath(), $"weblab-restore-test-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(archive, "not gzip at all");
        try
        {
            var e = await Assert.ThrowsAsync<BadInputException>(() => LabBackup.RestoreAsync(archive, target));

            Assert.Contains("is not a WebLab backup", e.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(target));
            Assert.Empty(Directory.EnumerateDirectories(Path.GetTempPath(), Path.GetFileName(target) + ".restoring-*"));
        }
        finally
        {
            File.Delete(archive);
        }
    }
}
