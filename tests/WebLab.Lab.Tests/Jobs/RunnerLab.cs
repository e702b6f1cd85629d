using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Tests.Jobs;

/// <summary>
/// A <see cref="JobRunner"/> on a temporary lab whose worker is a small shell script: the supervisor's behaviour
/// (heartbeats, recording, liveness, deadlines) tested against a real process without loading libtorch. Faults are
/// injected into the real database with triggers that fire while a row of the faults table names them.
/// </summary>
public sealed class RunnerLab : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    private RunnerLab(TempLab lab, JobStore store, JobRunner runner)
    {
        Lab = lab;
        Store = store;
        Runner = runner;
    }

    public TempLab Lab { get; }

    /// <summary>The runner's store (on a size-capped database when the lab was started with one).</summary>
    public JobStore Store { get; }

    public JobRunner Runner { get; }

    /// <summary>The one-line JSON result of a prediction job (what a successful script prints last).</summary>
    public const string PredictResult = """{"type":"result","result":{"image":"x.png","checkpoint":null,"top":[]}}""";

    /// <summary>A log event line.</summary>
    public const string LogEvent = """{"type":"event","event":"log","payload":{"level":"info","message":"working"}}""";

    /// <summary>Starts a runner whose workers run <paramref name="script"/> (sh), with fast heartbeats on the lab's manual clock.</summary>
    /// <param name="maxDatabaseBytes">Caps the runner's database (a full disk); the test's own connections stay uncapped.</param>
    /// <param name="parent">Where the lab's folder goes (a small disk); the temp folder by default.</param>
    /// <param name="inventory">The GPUs the runner believes its workers can use (a fake inventory drives GPU scheduling on a CPU machine).</param>
    public static async Task<RunnerLab> StartAsync(string script, Action<LabOptions>? configure = null, long? maxDatabaseBytes = null,
        string? parent = null, IDeviceInventory? inventory = null)
    {
        var lab = await TempLab.CreateAsync(parent);
        var worker = Path.Combine(lab.Folder, "worker.sh");
        await File.WriteAllTextAsync(worker, "#!/bin/sh\n" + script + "\n");
        if (!OperatingSystem.IsWindows()) // the worker is a shell script: these tests need a Unix
            File.SetUnixFileMode(worker, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new LabOptions
        {
            DataDirectory = lab.Folder,
            TrainWorkers = 1,
            Device = "cpu",
            WorkerPath = worker,
            HeartbeatInterval = TimeSpan.FromMilliseconds(50),
            WorkerStopGrace = TimeSpan.FromMilliseconds(200),
            DiskReserveBytes = 0,
        };
        configure?.Invoke(options);
        var folder = new DataFolder(lab.Folder, lab.Time);
        var db = maxDatabaseBytes is null ? lab.Db : new Database(lab.Db.Path, lab.Time, maxDatabaseBytes);
        var store = new JobStore(db);
        var references = new LabReferences(new DatasetStore(db), new CheckpointStore(db));
        var runner = new JobRunner(store, references, new LabEvents(), folder, Options.Create(options), NullLogger<JobRunner>.Instance,
            inventory: inventory);
        await using (var connection = await lab.Db.OpenAsync())
        {
            await connection.ExecuteAsync("""
                CREATE TABLE faults (name TEXT PRIMARY KEY);
                CREATE TRIGGER fault_heartbeat BEFORE UPDATE OF lease_expires_ms ON jobs
                WHEN OLD.state = 'running' AND NEW.state = 'running' AND EXISTS (SELECT 1 FROM faults WHERE name = 'heartbeat')
                BEGIN SELECT RAISE(ABORT, 'injected heartbeat fault'); END;
                CREATE TRIGGER fault_events BEFORE INSERT ON job_events
                WHEN EXISTS (SELECT 1 FROM faults WHERE name = 'events')
                BEGIN SELECT RAISE(ABORT, 'injected event fault'); END;
                """);
            await CheckpointStore.AddAsync(connection, null, new CheckpointRecord
            {
                Id = Checkpoint, Name = "source", Owner = "test", Path = Path.Combine(lab.Folder, "source.weblab"), InfoJson = "{}",
                CreatedAt = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            }, lab.Time, CancellationToken.None);
        }
        var started = new RunnerLab(lab, store, runner);
        await runner.StartAsync(started._stop.Token);
        return started;
    }

    private const string Checkpoint = "ckpt_22222222222222222";

    /// <summary>A prediction: a utility job whose resolution needs nothing but a checkpoint row.</summary>
    public static JobSubmission Prediction() =>
        new(PredictKind.Id, "alice", "predict", $$"""{"checkpoint":"{{Checkpoint}}","upload":"{{Ids.New("up", TimeProvider.System)}}.png","imageName":"x.png","topK":1}""");

    /// <summary>Queues a <see cref="Prediction"/> and wakes a slot; its deadline is a day unless <paramref name="timeout"/> says otherwise.</summary>
    public async Task<JobRecord> SubmitAsync(int maxAttempts = 1, TimeSpan? timeout = null)
    {
        var (job, _) = await Lab.Jobs.SubmitAsync(Prediction(), maxAttempts, timeout ?? TimeSpan.FromDays(1));
        Runner.Wake(job.Lane);
        return job;
    }

    public async Task FaultAsync(string name, bool on)
    {
        await using var connection = await Lab.Db.OpenAsync();
        await connection.ExecuteAsync(on ? "INSERT OR IGNORE INTO faults (name) VALUES (@name)" : "DELETE FROM faults WHERE name = @name", new { name });
    }

    /// <summary>Polls (real time) until the job satisfies <paramref name="done"/>; fails the test after <paramref name="within"/>.</summary>
    public async Task<JobRecord> UntilAsync(string id, Func<JobRecord, bool> done, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var job = await Lab.JobAsync(id);
            if (done(job))
                return job;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"job {id} is {job.State} ({job.Error}) after {within ?? TimeSpan.FromSeconds(20)}");
            await Task.Delay(25);
        }
    }

    /// <summary>The job's history reasons, oldest first.</summary>
    public async Task<IReadOnlyList<string>> HistoryAsync(string id) =>
        (await Lab.Jobs.HistoryAsync(id)).Select(h => h.Reason).ToList();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Runner.StopAsync(CancellationToken.None);
        Runner.Dispose();
        _stop.Dispose();
        await Lab.DisposeAsync();
    }
}
