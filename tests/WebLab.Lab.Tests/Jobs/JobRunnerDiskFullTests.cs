using Dapper;
using WebLab.Lab.Jobs;

namespace WebLab.Lab.Tests.Jobs;

/// <summary>
/// A full disk, simulated by capping the database file (PRAGMA max_page_count through Database's maxBytes: writes that
/// need a new page fail with SQLITE_FULL, as on a full disk, while reads go on).
/// </summary>
public sealed class JobRunnerDiskFullTests
{
    [Fact]
    public async Task WhenTheDatabaseIsFull_TheJobFailsCleanly_ItsWorkerIsStopped_AndReadsKeepWorking()
    {
        long cap;
        await using (var probe = await TempLab.CreateAsync())
        await using (var connection = await probe.Db.OpenAsync())
            cap = await connection.ExecuteScalarAsync<long>("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size") + 256 * 1024;
        // 8 KB log events, 100 a second: the cap is reached within a few seconds.
        const string script = """
            echo $$ > pid
            big=$(head -c 8000 /dev/zero | tr '\0' 'x')
            while :; do echo "{\"type\":\"event\",\"event\":\"log\",\"payload\":{\"level\":\"info\",\"message\":\"$big\"}}"; sleep 0.01; done
            """;
        await using var runner = await RunnerLab.StartAsync(script, maxDatabaseBytes: cap);
        var (job, _) = await runner.Runner.SubmitAsync(RunnerLab.Prediction());

        var failed = await runner.UntilAsync(job.Id, j => j.IsFinished, TimeSpan.FromSeconds(30));

        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains("full", failed.Error, StringComparison.OrdinalIgnoreCase);
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(runner.Lab.Folder, "jobs", job.Id, "pid")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the worker still runs");
        // Reads through the full database: the job, its history, the events it did record.
        var read = await runner.Store.GetAsync(job.Id);
        Assert.Equal(JobState.Failed, read!.State);
        Assert.NotEmpty(await runner.Store.HistoryAsync(job.Id));
        Assert.Equal(read.LastSeq, (await runner.Store.EventsAsync(job.Id)).Count);
        Assert.Equal("ok", await runner.Lab.Db.IntegrityCheckAsync());
    }
}
