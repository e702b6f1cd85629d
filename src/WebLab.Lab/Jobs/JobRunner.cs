using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;
using WebLab.Lab.Workers.Executors;

namespace WebLab.Lab.Jobs;

/// <summary>
/// The lab's scheduler and supervisor. Slots (one per training device or remote job, plus utility slots) claim jobs
/// from the durable queue and run each in its own <c>weblab worker</c>, started by an executor: a local process, or a
/// Slurm or Kubernetes job posting its messages back. The runner renews leases while the worker is alive, persists
/// and relays its events, registers its outputs in the same transaction as its completion, and turns every way a
/// worker can end (result, bad input, crash, hang, SIGTERM, a failed node, cancel, host shutdown) into the right state change.
/// </summary>
public sealed class JobRunner : BackgroundService
{
    private readonly JobStore _jobs;
    private readonly LabReferences _references;
    private readonly LabEvents _events;
    private readonly DataFolder _folder;
    private readonly LabOptions _options;
    private readonly ILogger<JobRunner> _log;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _wake = new();
    private readonly ConcurrentDictionary<string, RunningJob> _running = new();

    private readonly TimeProvider _time;
    private readonly DiskReserve _reserve;
    private readonly IWorkerExecutor _local;
    private readonly IWorkerExecutor _train;

    private readonly IDeviceInventory _inventory;
    private GpuPool _gpus = new([]);

    /// <param name="trainExecutor">Where training jobs run (Slurm, Kubernetes); null: local processes like every other job.</param>
    /// <param name="inventory">The GPUs local workers can use; null: ask the worker program (<see cref="WorkerDeviceProbe"/>).</param>
    public JobRunner(JobStore jobs, LabReferences references, LabEvents events, DataFolder folder, IOptions<LabOptions> options,
        ILogger<JobRunner> log, IWorkerExecutor? trainExecutor = null, IDeviceInventory? inventory = null)
    {
        _jobs = jobs;
        _references = references;
        _time = jobs.Time;
        _reserve = new DiskReserve(folder, options.Value.DiskReserveBytes, _time);
        HostId = Ids.New("host", _time);
        _events = events;
        _folder = folder;
        _options = options.Value;
        _log = log;
        _local = new LocalExecutor(_options.WorkerPath, _time);
        _train = trainExecutor ?? _local;
        _inventory = inventory ?? new WorkerDeviceProbe(_options.WorkerPath);
        foreach (var lane in Lanes.All)
            _wake[lane] = new SemaphoreSlim(0);
    }

    /// <summary>This host's identity; every lease it takes is "HostId/slot".</summary>
    public string HostId { get; }

    /// <summary>Devices of the training slots.</summary>
    public IReadOnlyList<string> TrainDevices { get; private set; } = [];

    /// <summary>True when experiments run on GPUs (the input-size rule's question); false on CPUs and before the slots start.</summary>
    public bool TrainsOnGpu => _train is RemoteExecutor remote ? remote.Gpus : TrainDevices.Any(d => d.StartsWith("cuda", StringComparison.Ordinal));

    /// <summary>Jobs running in this host's workers: job id -> (device, where the worker runs: "pid 42", "slurm 17").</summary>
    public IReadOnlyDictionary<string, (string Device, string Worker)> Running =>
        _running.ToDictionary(r => r.Key, r => (r.Value.Device, r.Value.Worker?.Id ?? ""));

    /// <summary>Queues a job, tells watchers, and wakes a slot of its lane.</summary>
    /// <returns>The job, and false when an earlier submission with the same idempotency key was returned instead.</returns>
    public async Task<(JobRecord Job, bool Created)> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken = default)
    {
        var timeout = _options.Limits.DeadlineFor(JobKinds.Get(submission.Kind));
        var (job, created) = await _jobs.SubmitAsync(submission, _options.MaxAttempts, timeout, cancellationToken);
        if (created)
        {
            await PublishStateAsync(job, "submitted");
            Wake(job.Lane);
        }
        return (job, created);
    }

    /// <summary>Cancels a queued or running job; a running worker is told to abandon it and killed if it does not.</summary>
    public async Task<bool> CancelAsync(string id, string reason, CancellationToken cancellationToken = default)
    {
        if (!await _jobs.CancelAsync(id, reason, cancellationToken))
            return false;
        if (_running.TryGetValue(id, out var running))
            running.Abandon(WorkerCommands.Cancel, _options.WorkerStopGrace);
        if (await _jobs.GetAsync(id, CancellationToken.None) is { } job)
            await PublishStateAsync(job, reason);
        return true;
    }

    /// <summary>Asks a running job to finish early, keeping its best model so far; false if it is not running here.</summary>
    public bool Stop(string id) => _running.TryGetValue(id, out var running) && running.Worker?.Send(WorkerCommands.Stop) == true;

    public void Wake(string lane)
    {
        if (_wake.TryGetValue(lane, out var signal) && signal.CurrentCount == 0)
            signal.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var (id, state) in await _jobs.RecoverOrphansAsync(HostId, stoppingToken))
            await AfterRecoveryAsync(id, state);
        if (!_options.RunWorkers)
            return;
        _reserve.Ensure();
        var train = await TrainSlotsAsync(stoppingToken);
        _gpus = new GpuPool(train.Where(d => d.Gpu is not null).Select(d => d.Gpu!.Value));
        TrainDevices = train.Select(d => d.Label).ToList();
        var slots = new List<Task>();
        for (int i = 0; i < train.Count; i++)
            slots.Add(RunSlotAsync(Lanes.Train, i, train[i], stoppingToken));
        for (int i = 0; i < Math.Max(1, _options.UtilityWorkers); i++)
            slots.Add(RunSlotAsync(Lanes.Utility, i, SlotDevice.Cpu, stoppingToken));
        slots.Add(MaintainAsync(stoppingToken));
        await Task.WhenAll(slots);
    }

    private async Task<IReadOnlyList<SlotDevice>> TrainSlotsAsync(CancellationToken cancellationToken)
    {
        if (_train is RemoteExecutor remote)
            return Enumerable.Repeat(SlotDevice.Remote, remote.Slots).ToList();
        int gpus = 0;
        if (_options.Device != "cpu")
        {
            try
            {
                gpus = await _inventory.CudaDevicesAsync(cancellationToken);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or System.Text.Json.JsonException
                                          or KeyNotFoundException)
            {
                _log.LogError(e, "could not ask the worker which devices it can use; training on the CPU");
            }
            if (_options.Device == "cuda" && gpus == 0)
                _log.LogError("WebLab:Device is cuda, but the workers' TorchSharp backend sees no CUDA device; training on the CPU");
        }
        return SlotDevice.TrainSlots(_options.Device, _options.TrainWorkers, gpus);
    }

    private async Task MaintainAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, stoppingToken);
                _reserve.Ensure(); // back once a full disk has room again
                foreach (var (id, state) in await _jobs.RecoverExpiredAsync(stoppingToken))
                    await AfterRecoveryAsync(id, state);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SqliteException or IOException)
            {
                _log.LogWarning(e, "lease recovery failed; retrying");
            }
        }
    }

    private async Task AfterRecoveryAsync(string id, JobState state)
    {
        _log.LogWarning("job {Job} recovered from a lost worker: now {State}", id, state);
        if (await _jobs.GetAsync(id) is { } job)
        {
            await PublishStateAsync(job, state == JobState.Queued ? "requeued after a lost worker" : "failed after repeated lost workers");
            Wake(job.Lane);
        }
    }

    private async Task RunSlotAsync(string lane, int index, SlotDevice device, CancellationToken stoppingToken)
    {
        var owner = $"{HostId}/{lane}-{index}";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                bool ran;
                if (device.Gpu is { } gpu)
                    await _gpus.TakeAsync(gpu, stoppingToken); // back from a utility job that borrowed it
                try
                {
                    ran = await ClaimAndRunAsync(lane, owner, device, stoppingToken);
                }
                finally
                {
                    if (device.Gpu is { } held)
                        _gpus.Release(held); // idle: predict and analyse may borrow it until the next claim
                }
                if (!ran)
                    await _wake[lane].WaitAsync(TimeSpan.FromSeconds(2), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SqliteException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                _log.LogError(e, "slot {Slot} failed; retrying in 2 s", owner);
                await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
            }
        }
    }

    /// <summary>Claims the lane's next job and runs it; false when the queue had none.</summary>
    private async Task<bool> ClaimAndRunAsync(string lane, string owner, SlotDevice device, CancellationToken stoppingToken)
    {
        var job = await _jobs.ClaimAsync(lane, owner, _options.Lease, device.Label, stoppingToken);
        if (job is null)
            return false;
        // Predict and analyse may run on a GPU whose training slot is idle; it waits for them (they are quick).
        int? borrowed = device.Gpu is null && JobKinds.Get(job.Kind).MayBorrowGpu ? _gpus.TryBorrow() : null;
        try
        {
            if (borrowed is { } gpu)
            {
                device = SlotDevice.Cuda(gpu);
                await _jobs.RecordDeviceAsync(job.Id, owner, device.Label, CancellationToken.None);
            }
            await PublishStateAsync(job, $"running on {device.Label}");
            await RunJobAsync(job, owner, device, stoppingToken);
        }
        finally
        {
            if (borrowed is { } gpu)
                _gpus.Release(gpu);
        }
        return true;
    }

    private async Task RunJobAsync(JobRecord job, string owner, SlotDevice device, CancellationToken stoppingToken)
    {
        var kind = JobKinds.Get(job.Kind);
        WorkerJob workerJob;
        try
        {
            var output = _folder.JobFolder(job.Id);
            Directory.CreateDirectory(output);
            var input = await kind.ResolveAsync(job, new ResolveContext(device.Worker, _folder, _references), CancellationToken.None);
            workerJob = new WorkerJob(job.Id, job.Kind, device.Worker, output, input);
        }
        catch (BadInputException e)
        {
            var error = _folder.HidePaths(e.Message);
            await EndAsync(job, owner, await FailAsync(job, owner, error, retryable: false), error);
            return;
        }
        var executor = kind.Lane == Lanes.Train ? _train : _local;
        var environment = new Dictionary<string, string>
        {
            ["WEBLAB_CACHE"] = _folder.Cache, // dataset downloads and decoded tiles, shared by this lab's workers
            ["WEBLAB_JOB"] = job.Id,
        };
        if (executor is not RemoteExecutor)
            device.AddTo(environment); // on a cluster the scheduler sets the node's CUDA_VISIBLE_DEVICES
        var launch = new WorkerLaunch(job, workerJob, executor is RemoteExecutor ? kind.Tasks(workerJob.Input) : 1, environment, Deadline(job, kind));

        var running = new RunningJob(device.Label, launch.Deadline);
        _running[job.Id] = running;
        try
        {
            IWorker started;
            try
            {
                started = await executor.StartAsync(launch, stoppingToken);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or HttpRequestException
                                          or System.ComponentModel.Win32Exception)
            {
                // The scheduler refused or could not be reached (sbatch failed, the API server is down): retry later.
                var error = _folder.HidePaths($"{executor.Name} could not start the worker: {e.Message}");
                await EndAsync(job, owner, await FailAsync(job, owner, error, retryable: true), error);
                return;
            }
            using var worker = started;
            running.Worker = worker;
            _log.LogInformation("job {Job} ({Kind}) attempt {Attempt} started: {Worker} on {Device}", job.Id, job.Kind, job.Attempt, worker.Id, device.Label);
            using var supervision = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var supervise = SuperviseAsync(job, owner, running, supervision.Token);
            using var shutdown = stoppingToken.Register(() => running.Abandon(WorkerCommands.Interrupt, _options.WorkerStopGrace));

            WorkerResult? result;
            WorkerFailure? failure;
            WorkerEnd exit;
            try
            {
                (result, failure) = await ReadAsync(job, owner, running, worker);
            }
            catch
            {
                running.Kill("the host stopped reading the worker");
                throw;
            }
            finally
            {
                // Whatever ended the reading, the worker and its heartbeat end with it: a job is never left Running,
                // its lease renewed, without a worker. The job's state is written below, or, when the database refuses
                // even that, by lease recovery once the lease lapses.
                exit = await worker.WaitForExitAsync();
                await supervision.CancelAsync();
                await supervise;
            }
            await FinishAsync(job, owner, running, exit, result, failure, worker.StderrTail(), stoppingToken.IsCancellationRequested);
        }
        finally
        {
            _running.TryRemove(job.Id, out _);
        }
    }

    /// <summary>Records the worker's events until it closes stdout; returns its result or failure message, if any.</summary>
    private async Task<(WorkerResult?, WorkerFailure?)> ReadAsync(JobRecord job, string owner, RunningJob running, IWorker worker)
    {
        WorkerResult? result = null;
        WorkerFailure? failure = null;
        try
        {
            await foreach (var message in worker.MessagesAsync())
            {
                switch (message)
                {
                    case WorkerEvent e:
                        await RecordEventAsync(job, owner, running, e);
                        break;
                    case WorkerResult r:
                        result = r;
                        break;
                    case WorkerFailure f:
                        failure = f;
                        break;
                }
            }
        }
        catch (Exception e) when (e is SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_FULL } || e is IOException io && DataFolder.IsDiskFull(io))
        {
            // The disk is full: free the reserve so that the failure can be written, and do not retry into the same wall.
            _log.LogError(e, "the disk under the lab is full while recording {Job}; stopping its worker", job.Id);
            _reserve.Release();
            _jobs.ResetConnections();
            running.Kill($"the lab's disk is full: its events could not be recorded ({e.Message})", retryable: false);
        }
        catch (Exception e) when (e is SqliteException or IOException)
        {
            // Its events can no longer be stored (database failing): the worker must not train on unrecorded.
            _log.LogError(e, "recording an event of {Job} failed; stopping its worker", job.Id);
            running.Kill($"the lab could not record the job's events ({e.Message})");
        }
        return (result, failure);
    }

    /// <summary>The job's deadline: as stored at its first claim, or (jobs from before deadlines) the kind's setting from now.</summary>
    private DateTimeOffset Deadline(JobRecord job, JobKind kind) =>
        job.DeadlineMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : _time.GetUtcNow() + _options.Limits.DeadlineFor(kind);

    /// <summary>Renews the lease while the worker lives; stops a worker whose job was taken away, that hangs or that stalls.</summary>
    private async Task SuperviseAsync(JobRecord job, string owner, RunningJob running, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await HeartbeatAsync(job, owner, running, cancellationToken);
                CheckLiveness(running);
            }
        }
        catch (OperationCanceledException)
        {
            // the worker has exited
        }
    }

    private async Task HeartbeatAsync(JobRecord job, string owner, RunningJob running, CancellationToken cancellationToken)
    {
        try
        {
            // Cancelled, or the lease was lost and the job requeued elsewhere: this worker must not go on.
            if (!await _jobs.HeartbeatAsync(job.Id, owner, _options.Lease, cancellationToken))
                running.Abandon(WorkerCommands.Cancel, _options.WorkerStopGrace);
        }
        catch (Exception e) when (e is SqliteException or IOException)
        {
            // A busy or briefly failing database must not end supervision: the next tick renews the lease. If the failures
            // outlast the lease, recovery requeues the job and the first heartbeat that succeeds abandons this worker.
            _log.LogWarning(e, "heartbeat of {Job} failed; retrying at the next tick", job.Id);
        }
    }

    /// <summary>
    /// Kills a worker past its job's deadline (the job times out), that is silent (a hung process) or whose work has
    /// stopped moving (a deadlock: keep-alives go on; these two are retried).
    /// </summary>
    private void CheckLiveness(RunningJob running)
    {
        if (running.Worker is not { } worker)
            return;
        var now = _time.GetUtcNow();
        if (now > running.Deadline)
            running.TimeOut($"the job ran past its deadline ({running.Deadline.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC) and its worker was killed");
        else if (now - worker.LastHeard > _options.WorkerStallTimeout)
            running.Kill($"the worker was silent for {_options.WorkerStallTimeout.TotalSeconds:0} s and was killed");
        else if (now - worker.LastProgress > _options.WorkerProgressTimeout)
            running.Kill($"the worker made no progress for {_options.WorkerProgressTimeout.TotalSeconds:0} s (stalled or deadlocked) and was killed");
    }

    private async Task RecordEventAsync(JobRecord job, string owner, RunningJob running, WorkerEvent e)
    {
        MetricRecord? metric = e.Curve is { } c
            ? new MetricRecord { JobId = job.Id, Point = c.Point, Arm = c.Arm, Seed = c.Seed, Epoch = c.Epoch, ValuesJson = c.Values.GetRawText() }
            : null;
        var raw = e.Payload.GetRawText();
        var payload = _folder.HidePaths(raw);
        var element = ReferenceEquals(payload, raw) ? e.Payload : JsonDocument.Parse(payload).RootElement.Clone();
        var seq = await _jobs.AppendEventAsync(job.Id, owner, e.Event, payload, metric, CancellationToken.None);
        if (seq is null)
        {
            running.Abandon(WorkerCommands.Cancel, _options.WorkerStopGrace);
            return;
        }
        if (e.Progress is { } progress && _time.GetUtcNow() - running.LastProgressWrite > TimeSpan.FromSeconds(1))
        {
            running.LastProgressWrite = _time.GetUtcNow();
            await _jobs.SetProgressAsync(job.Id, owner, JsonSerializer.Serialize(progress, WebLabJson.Compact), CancellationToken.None);
        }
        _events.Publish(new JobEventMessage(job.Id, seq.Value, e.Event, element, _jobs.NowIso, e.Progress, e.Curve));
    }

    private async Task FinishAsync(JobRecord job, string owner, RunningJob running, WorkerEnd end, WorkerResult? result, WorkerFailure? failure,
        string stderr, bool shuttingDown)
    {
        var none = CancellationToken.None;
        int exit = end.Code;
        string Describe() => failure?.Message
                             ?? (running.KilledBecause is { } why ? why
                                 : end.Reason is { } reason ? reason
                                 : exit is 137 or -9 or 9 ? "the worker was killed (SIGKILL or out of memory)"
                                 : exit is 134 or 139 ? $"the worker crashed (exit {exit})"
                                 : $"the worker exited with code {exit}")
                             + (failure is null && stderr.Length > 0 ? $"; last output: {LastLines(stderr, 5)}" : "");

        if (exit == WorkerExit.Succeeded && result is not null)
        {
            var completed = await _jobs.CompleteAsync(job.Id, owner, _folder.HidePaths(result.Result.GetRawText()),
                write => JobKinds.Get(job.Kind).RegisterOutputsAsync(new OutputContext(job, result, write, _references, _folder, _time), none), none);
            await EndAsync(job, owner, completed ? JobState.Succeeded : null, null);
            return;
        }
        if (running.TimedOut)
        {
            var late = running.KilledBecause!;
            var timedOut = await _jobs.TimeOutAsync(job.Id, owner, late, none);
            if (timedOut)
                await _jobs.WriteAsync(write => JobKinds.Get(job.Kind).OnFailedAsync(job, late, write), none);
            await EndAsync(job, owner, timedOut ? JobState.TimedOut : null, late);
            return;
        }
        if (exit == WorkerExit.Interrupted || (shuttingDown && exit != WorkerExit.BadInput))
        {
            var reason = shuttingDown ? "the lab is shutting down" : end.Reason ?? "the worker received SIGTERM";
            var requeued = await _jobs.InterruptAsync(job.Id, owner, reason, none);
            await EndAsync(job, owner, requeued ? JobState.Queued : null, reason);
            return;
        }
        bool retryable = exit != WorkerExit.BadInput && failure?.Retryable != false && running.Retryable;
        var error = _folder.HidePaths(Describe());
        await EndAsync(job, owner, await FailAsync(job, owner, error, retryable), error);
    }

    /// <summary>Fails or requeues the job; a job that failed for good lets its kind clean up (e.g. mark its dataset failed).</summary>
    private async Task<JobState?> FailAsync(JobRecord job, string owner, string error, bool retryable)
    {
        var state = await _jobs.FailAsync(job.Id, owner, error, retryable, CancellationToken.None);
        if (state == JobState.Failed)
            await _jobs.WriteAsync(write => JobKinds.Get(job.Kind).OnFailedAsync(job, error, write), CancellationToken.None);
        return state;
    }

    private async Task EndAsync(JobRecord job, string owner, JobState? state, string? reason)
    {
        var now = await _jobs.GetAsync(job.Id);
        if (state is null)
            _log.LogInformation("job {Job}: the worker ended but the job was no longer {Owner}'s (cancelled or taken over); nothing written", job.Id, owner);
        else
            _log.LogInformation("job {Job} -> {State}{Reason}", job.Id, state, reason is null ? "" : $": {reason}");
        if (now is not null)
        {
            await PublishStateAsync(now, reason ?? now.State.Label());
            if (now.State == JobState.Queued)
                Wake(now.Lane);
        }
    }

    /// <summary>Tells watchers about a state change and the queue's new order.</summary>
    public async Task PublishStateAsync(JobRecord job, string reason)
    {
        _events.Publish(new JobStateMessage(job.Id, job.Kind, job.Owner, job.Name, job.State, reason, job.Attempt, job.Error, job.Visibility));
        var positions = await _jobs.QueuePositionsAsync();
        _events.Publish(new QueueChangedMessage(positions, await _jobs.CountAsync(JobState.Running), positions.Count));
    }

    private static string LastLines(string text, int count) => string.Join(" | ", text.Split('\n').TakeLast(count));

    /// <summary>A job this host is running.</summary>
    private sealed class RunningJob(string device, DateTimeOffset deadline)
    {
        private int _timedOut;

        public string Device { get; } = device;

        /// <summary>When the job must have finished.</summary>
        public DateTimeOffset Deadline { get; } = deadline;

        /// <summary>True once the worker was killed for running past <see cref="Deadline"/>.</summary>
        public bool TimedOut => Volatile.Read(ref _timedOut) == 1;

        public IWorker? Worker { get; set; }

        public DateTimeOffset LastProgressWrite { get; set; }

        private string? _killedBecause;

        /// <summary>Why the host killed the worker, if it did (silent, stalled, unrecordable).</summary>
        public string? KilledBecause => Volatile.Read(ref _killedBecause);

        /// <summary>Kills the worker for running past its deadline: the job ends TimedOut, not retried.</summary>
        public void TimeOut(string why)
        {
            if (Worker is null || KilledBecause is not null)
                return;
            Volatile.Write(ref _timedOut, 1);
            Kill(why);
        }

        /// <summary>False once the worker was killed for a reason a retry cannot cure (a full disk).</summary>
        public bool Retryable { get; private set; } = true;

        /// <summary>Kills the worker now, remembering why (the first reason wins).</summary>
        public void Kill(string why, bool retryable = true)
        {
            if (Worker is not { } worker)
                return;
            if (Interlocked.CompareExchange(ref _killedBecause, why, null) is null)
                Retryable = retryable;
            worker.Kill();
        }

        /// <summary>Sends <paramref name="command"/> once, then makes sure the worker is gone after <paramref name="grace"/>.</summary>
        public void Abandon(string command, TimeSpan grace) =>
            // Not started yet: nothing to do; the supervisor's next heartbeat (which fails) abandons it then.
            Worker?.Abandon(command, grace);
    }
}
