using WebLab.Lab.Jobs;

namespace WebLab.Lab.Workers;

/// <summary>
/// One attempt of a job, running wherever its executor put it: a local process, a Slurm job (or job array), a
/// Kubernetes Job. The runner supervises every kind the same way: it reads the messages, judges liveness by
/// <see cref="LastHeard"/> and <see cref="LastProgress"/>, sends commands and learns how the attempt ended.
/// </summary>
public interface IWorker : IDisposable
{
    /// <summary>Where it runs, for logs and the API ("pid 4242", "slurm 17", "k8s weblab-job-x-2").</summary>
    string Id { get; }

    /// <summary>When the worker was last heard from (a hung process stops writing; a lost node stops posting).</summary>
    DateTimeOffset LastHeard { get; }

    /// <summary>When the job's work last moved (see <see cref="WorkerLiveness"/>).</summary>
    DateTimeOffset LastProgress { get; }

    /// <summary>The worker's messages until it has ended (every task of an array).</summary>
    IAsyncEnumerable<WorkerMessage> MessagesAsync();

    /// <summary>Sends a command (<see cref="WorkerCommands"/>); false when the worker is gone.</summary>
    bool Send(string command);

    /// <summary>
    /// The job is no longer this worker's (cancelled, taken over, the lab shutting down): tell it <paramref name="command"/>
    /// and make sure it is gone after <paramref name="grace"/>. Idempotent.
    /// </summary>
    void Abandon(string command, TimeSpan grace);

    /// <summary>Ends the worker now (SIGKILL, scancel, deleting the Kubernetes Job).</summary>
    void Kill();

    /// <summary>How the attempt ended, once it has.</summary>
    Task<WorkerEnd> WaitForExitAsync();

    /// <summary>The last lines the worker wrote on stderr, for error reports.</summary>
    string StderrTail();
}

/// <summary>How an attempt ended: its exit code (<see cref="WorkerExit"/>) and, where the executor knows it, why.</summary>
/// <param name="Reason">E.g. "Slurm ended the job: NODE_FAIL"; null when the code says it all.</param>
public sealed record WorkerEnd(int Code, string? Reason = null);

/// <summary>Starts the workers of job attempts: the lab's one door to where work runs.</summary>
public interface IWorkerExecutor
{
    /// <summary>Name in logs and settings ("local", "slurm", "kubernetes").</summary>
    string Name { get; }

    /// <summary>Starts the attempt described by <paramref name="launch"/>.</summary>
    Task<IWorker> StartAsync(WorkerLaunch launch, CancellationToken cancellationToken);
}

/// <summary>One attempt to start.</summary>
/// <param name="Job">The claimed job (id, attempt, kind).</param>
/// <param name="Input">What the worker runs; its file is written by the executor (remote executors add the uplink).</param>
/// <param name="Tasks">Independent tasks the input splits into (sweep points) where the executor runs arrays; 1 otherwise.</param>
/// <param name="Environment">Variables the worker needs (the shared cache, CUDA_VISIBLE_DEVICES of a local GPU slot).</param>
/// <param name="Deadline">When the job must have finished (a scheduler's time limit).</param>
public sealed record WorkerLaunch(JobRecord Job, WorkerJob Input, int Tasks, IReadOnlyDictionary<string, string> Environment, DateTimeOffset Deadline)
{
    /// <summary>The job file of this attempt, in the job's output folder.</summary>
    public string JobFile => Path.Combine(Input.OutputDirectory, $"job-{Job.Attempt}.json");
}
