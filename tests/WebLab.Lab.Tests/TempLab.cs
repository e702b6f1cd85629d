using Microsoft.Data.Sqlite;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Tests;

/// <summary>A migrated lab database in its own temporary folder, deleted with the test.</summary>
public sealed class TempLab : IAsyncDisposable
{
    private TempLab(string folder)
    {
        Folder = folder;
        Db = new Database(Path.Combine(folder, "lab.db"), Time);
        Jobs = new JobStore(Db);
    }

    public string Folder { get; }

    public Database Db { get; }

    /// <summary>The clock the job store reads: tests move it forward instead of sleeping through leases.</summary>
    public ManualTime Time { get; } = new(DateTimeOffset.UtcNow);

    public JobStore Jobs { get; }

    /// <summary>A fresh folder (under <paramref name="parent"/>, else the temp folder) with an unmigrated database path.</summary>
    public static TempLab Empty(string? parent = null)
    {
        var folder = Path.Combine(parent ?? Path.GetTempPath(), "weblab-lab-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        return new TempLab(folder);
    }

    public static async Task<TempLab> CreateAsync(string? parent = null)
    {
        var lab = Empty(parent);
        await lab.Db.MigrateAsync();
        return lab;
    }

    public async Task<JobRecord> SubmitAsync(string owner = "alice", int priority = 0, int maxAttempts = 3, string kind = ExperimentKind.Id,
        string? key = null, string name = "job")
    {
        var (job, _) = await Jobs.SubmitAsync(new JobSubmission(kind, owner, name, "{}", priority, key), maxAttempts);
        return job;
    }

    /// <summary>Submits and claims a job: it is Running under <paramref name="leaseOwner"/> afterwards.</summary>
    public async Task<JobRecord> RunningAsync(string leaseOwner = "host_a/train-0", int maxAttempts = 3, TimeSpan? lease = null)
    {
        var job = await SubmitAsync(maxAttempts: maxAttempts);
        var claimed = await Jobs.ClaimAsync(Lanes.Train, leaseOwner, lease ?? TimeSpan.FromSeconds(30));
        Assert.NotNull(claimed);
        Assert.Equal(job.Id, claimed.Id);
        return claimed;
    }

    /// <summary>The job as stored now.</summary>
    public async Task<JobRecord> JobAsync(string id) => await Jobs.GetAsync(id) ?? throw new InvalidOperationException($"job {id} is gone");

    public async ValueTask DisposeAsync()
    {
        // Pooled connections keep the file (and its -wal/-shm) open; release them before deleting the folder.
        await using (var connection = await Db.OpenAsync())
            SqliteConnection.ClearPool(connection);
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A clock that only moves when told to.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
