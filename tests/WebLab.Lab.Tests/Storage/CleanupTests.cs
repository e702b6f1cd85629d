using Dapper;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;

namespace WebLab.Lab.Tests.Storage;

public sealed class CleanupTests
{
    private static readonly TimeSpan s_orphanAge = TimeSpan.FromHours(6);

    private static (DataFolder Folder, Cleanup Cleanup) Start(TempLab lab)
    {
        var folder = new DataFolder(lab.Folder);
        return (folder, new Cleanup(lab.Db, folder, lab.Time));
    }

    private static string Touch(string path, TimeSpan age, TempLab lab)
    {
        File.WriteAllText(path, "x");
        File.SetLastWriteTimeUtc(path, lab.Time.GetUtcNow().UtcDateTime - age);
        return path;
    }

    private static async Task<JobRecord> PredictionAsync(TempLab lab, string upload) =>
        (await lab.Jobs.SubmitAsync(new JobSubmission(PredictKind.Id, "alice", "p", $$"""{"checkpoint":"demo","upload":"{{upload}}","imageName":"x.png"}"""), 3)).Job;

    [Fact]
    public async Task OldTemporaryFilesAndFolders_AreRemoved_FreshOnesKept()
    {
        await using var lab = await TempLab.CreateAsync();
        var (folder, cleanup) = Start(lab);
        var old = Touch(Path.Combine(folder.Temp, "tmp_old.zip"), TimeSpan.FromHours(7), lab);
        var staging = Directory.CreateDirectory(Path.Combine(folder.Temp, "ds_old"));
        Touch(Path.Combine(staging.FullName, "a.png"), TimeSpan.FromHours(7), lab);
        Directory.SetLastWriteTimeUtc(staging.FullName, lab.Time.GetUtcNow().UtcDateTime - TimeSpan.FromHours(7));
        var fresh = Touch(Path.Combine(folder.Temp, "tmp_fresh.zip"), TimeSpan.FromMinutes(5), lab);

        var report = await cleanup.RunAsync(s_orphanAge);

        Assert.Equal(2, report.TempEntries);
        Assert.False(File.Exists(old));
        Assert.False(Directory.Exists(staging.FullName));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public async Task DecodedTiles_NoJobLoadedForLong_AreRemoved_RecentOnesKept()
    {
        await using var lab = await TempLab.CreateAsync();
        var (folder, cleanup) = Start(lab);
        string Entry(string name, TimeSpan idle)
        {
            var entry = Directory.CreateDirectory(Path.Combine(folder.TileCache.Root, name)).FullName;
            File.WriteAllBytes(Path.Combine(entry, "tiles.bin"), new byte[1000]);
            Directory.SetLastWriteTimeUtc(entry, lab.Time.GetUtcNow().UtcDateTime - idle);
            return entry;
        }
        var idle = Entry("0123abcd-256", TimeSpan.FromDays(20));
        var used = Entry("4567ef01-256", TimeSpan.FromDays(2));

        var report = await cleanup.RunAsync(s_orphanAge, TimeSpan.FromDays(14));

        Assert.Equal(1000, report.TileBytes);
        Assert.False(Directory.Exists(idle));
        Assert.True(Directory.Exists(used));
    }

    [Fact]
    public async Task Uploads_AreRemovedOnceEveryJobNamingThemHasEnded_OrWhenNoJobNamesThemForLong()
    {
        await using var lab = await TempLab.CreateAsync();
        var (folder, cleanup) = Start(lab);
        string Upload(TimeSpan age, out string name) => Touch(folder.UploadFile(name = folder.NewUploadName("x.png")), age, lab);
        var consumed = Upload(TimeSpan.Zero, out var consumedName);
        var waiting = Upload(TimeSpan.FromDays(2), out var waitingName);
        var orphan = Upload(TimeSpan.FromHours(7), out _);
        var arriving = Upload(TimeSpan.FromMinutes(1), out _);
        var done = await PredictionAsync(lab, consumedName);
        await PredictionAsync(lab, waitingName);
        var claimed = await lab.Jobs.ClaimAsync(Lanes.Utility, "host/u-0", TimeSpan.FromMinutes(1));
        Assert.Equal(done.Id, claimed!.Id);
        Assert.True(await lab.Jobs.CompleteAsync(done.Id, "host/u-0", "{}"));

        var report = await cleanup.RunAsync(s_orphanAge);

        Assert.Equal(2, report.Uploads);
        Assert.False(File.Exists(consumed));
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(waiting)); // its job is still queued, however old the file
        Assert.True(File.Exists(arriving)); // its job may not be submitted yet
    }

    [Fact]
    public async Task EndedJobs_KeepTheirLastProgressEventAndEveryOtherEvent_RunningJobsKeepAll_CurvesStay()
    {
        await using var lab = await TempLab.CreateAsync();
        var (_, cleanup) = Start(lab);
        var ended = await lab.RunningAsync("host/t-0");
        var types = new[] { JobEventTypes.Started, JobEventTypes.Progress, JobEventTypes.Progress, JobEventTypes.Run, JobEventTypes.Progress, JobEventTypes.Log };
        for (int i = 0; i < types.Length; i++)
            await lab.Jobs.AppendEventAsync(ended.Id, "host/t-0", types[i], "{}", new MetricRecord { JobId = ended.Id, Arm = "transfer", Epoch = i, ValuesJson = "{}" });
        Assert.True(await lab.Jobs.CompleteAsync(ended.Id, "host/t-0", "{}"));
        var running = await lab.RunningAsync("host/t-1");
        foreach (var type in types)
            await lab.Jobs.AppendEventAsync(running.Id, "host/t-1", type, "{}");

        var report = await cleanup.RunAsync(s_orphanAge);

        Assert.Equal(2, report.Events);
        var kept = await lab.Jobs.EventsAsync(ended.Id);
        Assert.Equal([1L, 4, 5, 6], kept.Select(e => e.Seq));
        Assert.Equal(types.Length, (await lab.Jobs.EventsAsync(running.Id)).Count);
        Assert.Equal(types.Length, (await lab.Jobs.CurvesAsync(ended.Id)).Count);
    }

    [Fact]
    public async Task TheWal_IsTruncatedToZeroBytes()
    {
        await using var lab = await TempLab.CreateAsync();
        var (_, cleanup) = Start(lab);
        for (int i = 0; i < 20; i++)
            await lab.SubmitAsync();
        var wal = new FileInfo(lab.Db.Path + "-wal");
        Assert.True(wal.Length > 0);

        await cleanup.RunAsync(s_orphanAge);

        wal.Refresh();
        Assert.Equal(0, wal.Length);
        await using var connection = await lab.Db.OpenAsync();
        Assert.Equal(1000, await connection.ExecuteScalarAsync<long>("PRAGMA wal_autocheckpoint"));
    }

    [Fact]
    public async Task TheHostedService_RunsCleanupEveryPeriod()
    {
        await using var lab = await TempLab.CreateAsync();
        var (folder, cleanup) = Start(lab);
        var options = Microsoft.Extensions.Options.Options.Create(new LabOptions { MaintenancePeriod = TimeSpan.FromMilliseconds(50), OrphanAge = TimeSpan.FromHours(1) });
        using var maintenance = new LabMaintenance(cleanup, options, Microsoft.Extensions.Logging.Abstractions.NullLogger<LabMaintenance>.Instance);
        await maintenance.StartAsync(CancellationToken.None);
        try
        {
            foreach (var round in new[] { "tmp_a", "tmp_b" }) // not once: every period
            {
                var old = Touch(Path.Combine(folder.Temp, round), TimeSpan.FromHours(2), lab);
                for (int i = 0; i < 200 && File.Exists(old); i++)
                    await Task.Delay(25);
                Assert.False(File.Exists(old), $"{round} is still there");
            }
        }
        finally
        {
            await maintenance.StopAsync(CancellationToken.None);
        }
    }
}
