using System.Diagnostics;
using Dapper;
using WebLab.Lab.Jobs;

namespace WebLab.Lab.Tests.Jobs;

/// <summary>
/// A full disk, two ways: the database file capped (PRAGMA max_page_count through Database's maxBytes: writes that need
/// a new page fail with SQLITE_FULL while reads go on), and, where the tests may mount one, a real 8 MB tmpfs that fills.
/// </summary>
public sealed class JobRunnerDiskFullTests
{
    // 8 KB log events, 100 a second: a small disk or a capped database is full within seconds.
    private const string Flood = """
        echo $$ > pid
        big=$(head -c 8000 /dev/zero | tr '\0' 'x')
        while :; do echo "{\"type\":\"event\",\"event\":\"log\",\"payload\":{\"level\":\"info\",\"message\":\"$big\"}}"; sleep 0.01; done
        """;

    [Fact]
    public async Task WhenTheDatabaseIsFull_TheJobFailsCleanly_ItsWorkerIsStopped_AndReadsKeepWorking()
    {
        long cap;
        await using (var probe = await TempLab.CreateAsync())
        await using (var connection = await probe.Db.OpenAsync())
            cap = await connection.ExecuteScalarAsync<long>("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size") + 256 * 1024;
        await using var runner = await RunnerLab.StartAsync(Flood, maxDatabaseBytes: cap);

        await FailsCleanlyAsync(runner);
    }

    [Fact]
    public async Task OnARealFullDisk_TheReleasedReserveLetsTheFailureBeWritten()
    {
        // Mounting needs root and a mount namespace that allows it (the development machine); where it is refused the
        // capped-database test above is the check, and this one has nothing to run on.
        using var disk = SmallDisk.TryMount(8 << 20);
        if (disk is null)
            return;
        await using var runner = await RunnerLab.StartAsync(Flood, o => o.DiskReserveBytes = 1 << 20, parent: disk.Path);
        var reserve = Path.Combine(runner.Lab.Folder, "disk-reserve.bin");
        for (int i = 0; i < 200 && !File.Exists(reserve); i++)
            await Task.Delay(25); // written when the runner starts its slots
        Assert.True(File.Exists(reserve));

        await FailsCleanlyAsync(runner);
    }

    private static async Task FailsCleanlyAsync(RunnerLab runner)
    {
        var (job, _) = await runner.Runner.SubmitAsync(RunnerLab.Prediction());

        var failed = await runner.UntilAsync(job.Id, j => j.IsFinished, TimeSpan.FromSeconds(30));

        Assert.Equal(JobState.Failed, failed.State);
        Assert.StartsWith("the lab's disk is full", failed.Error, StringComparison.Ordinal);
        Assert.Equal(1, failed.Attempt); // not retried into the same wall
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(runner.Lab.Folder, "jobs", job.Id, "pid")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the worker still runs");
        // Reads through the full database: the job, its history, the events it did record.
        var read = await runner.Store.GetAsync(job.Id);
        Assert.Equal(JobState.Failed, read!.State);
        Assert.NotEmpty(await runner.Store.HistoryAsync(job.Id));
        Assert.Equal(read.LastSeq, (await runner.Store.EventsAsync(job.Id)).Count);
        Assert.Equal("ok", await runner.Lab.Db.IntegrityCheckAsync());
    }

    /// <summary>A tmpfs of a given size, unmounted on dispose.</summary>
    private sealed class SmallDisk : IDisposable
    {
        private SmallDisk(string path) => Path = path;

        public string Path { get; }

        public static SmallDisk? TryMount(long bytes)
        {
            var path = Directory.CreateTempSubdirectory("weblab-small-disk-").FullName;
            if (Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path))
                return new SmallDisk(path);
            Directory.Delete(path);
            return null;
        }

        private static bool Run(string command, params string[] arguments)
        {
            try
            {
                var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
                foreach (var argument in arguments)
                    start.ArgumentList.Add(argument);
                using var process = Process.Start(start)!;
                process.WaitForExit();
                return process.ExitCode == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false; // no mount command
            }
        }

        public void Dispose()
        {
            Run("umount", Path);
            Directory.Delete(Path, recursive: true);
        }
    }
}
