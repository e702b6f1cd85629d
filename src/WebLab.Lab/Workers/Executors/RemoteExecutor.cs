using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WebLab.Lab.Workers.Executors;

/// <summary>
/// What Slurm and Kubernetes executors share: each attempt gets a token and an uplink in its job file (on the shared
/// filesystem), is submitted to the scheduler, registered where the lab's worker endpoint finds it, and watched: a
/// task the scheduler has ended without posting its exit (scancel, a failed node, out of memory) ends as the scheduler
/// says.
/// </summary>
public abstract class RemoteExecutor(RemoteWorkers registry, Func<string> labUrl, TimeSpan poll, TimeProvider time, ILogger log) : IWorkerExecutor
{
    public abstract string Name { get; }

    /// <summary>Training attempts the lab keeps submitted at once: its training slots; the scheduler decides where they run.</summary>
    public abstract int Slots { get; }

    /// <summary>True when attempts ask for GPUs (the input-size rule's question).</summary>
    public abstract bool Gpus { get; }

    protected ILogger Log { get; } = log;

    protected TimeProvider Time { get; } = time;

    public async Task<IWorker> StartAsync(WorkerLaunch launch, CancellationToken cancellationToken)
    {
        var key = WorkerKey.New(launch.Job.Id, launch.Job.Attempt);
        var token = registry.Tokens.Issue(key, launch.Deadline + TimeSpan.FromHours(1));
        var remote = launch with { Input = launch.Input with { Uplink = new WorkerUplink(labUrl(), token) } };
        await WorkerFiles.WriteJobAsync(remote.JobFile, remote.Input, cancellationToken);
        var worker = new RemoteWorker(this, remote, key, Time);
        registry.Add(worker); // before it can post
        try
        {
            worker.SchedulerId = await SubmitAsync(remote, cancellationToken);
        }
        catch
        {
            registry.Remove(worker);
            throw;
        }
        _ = WatchAsync(worker);
        return worker;
    }

    /// <summary>Submits the attempt; returns the scheduler's id for it.</summary>
    protected abstract Task<string> SubmitAsync(WorkerLaunch launch, CancellationToken cancellationToken);

    /// <summary>What the scheduler says of each task: still waiting for a node, running, or ended (and how).</summary>
    protected abstract Task<IReadOnlyList<TaskView>> QueryAsync(RemoteWorker worker, CancellationToken cancellationToken);

    /// <summary>Ends every task of the attempt (SIGTERM first, the scheduler's kill after its grace).</summary>
    protected abstract Task CancelAsync(RemoteWorker worker, CancellationToken cancellationToken);

    /// <summary>The last lines of what the attempt wrote on stderr, where the scheduler keeps it.</summary>
    protected internal virtual string OutputTail(RemoteWorker worker) => "";

    internal void Cancel(RemoteWorker worker) => _ = Task.Run(async () =>
    {
        try
        {
            await CancelAsync(worker, CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or HttpRequestException or TimeoutException)
        {
            Log.LogError(e, "{Executor} could not cancel {Worker}; its own time limit ends it", Name, worker.Id);
        }
    });

    internal void Forget(RemoteWorker worker) => registry.Remove(worker);

    /// <summary>Polls the scheduler until every task has ended; a task's scheduler end counts after a grace for its last post.</summary>
    private async Task WatchAsync(RemoteWorker worker)
    {
        var seen = new DateTimeOffset?[worker.Launch.Tasks];
        var grace = poll * 2;
        while (!worker.HasEnded)
        {
            await Task.Delay(poll, Time);
            IReadOnlyList<TaskView> view;
            try
            {
                view = await QueryAsync(worker, CancellationToken.None);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or HttpRequestException or TimeoutException)
            {
                Log.LogWarning(e, "{Executor} could not ask about {Worker}; asking again at the next poll", Name, worker.Id);
                continue;
            }
            if (view.Any(t => t.Waiting))
                worker.Waiting();
            var now = Time.GetUtcNow();
            for (int i = 0; i < view.Count && i < seen.Length; i++)
            {
                if (view[i].Ended is not { } end)
                    continue;
                seen[i] ??= now;
                if (now - seen[i] >= grace)
                    worker.Ended(i, end);
            }
        }
    }
}

/// <summary>A scheduler's view of one task.</summary>
/// <param name="Waiting">Queued, waiting for a node.</param>
/// <param name="Ended">How it ended, once it has.</param>
public sealed record TaskView(bool Waiting, WorkerEnd? Ended)
{
    public static TaskView Running { get; } = new(false, null);

    public static TaskView Queued { get; } = new(true, null);
}

/// <summary>
/// The remote workers of this lab, by attempt: the worker endpoint hands each post to its worker here, after the
/// token says which attempt it is for.
/// </summary>
public sealed class RemoteWorkers(AttemptTokens tokens)
{
    private readonly ConcurrentDictionary<WorkerKey, RemoteWorker> _live = new();

    public AttemptTokens Tokens { get; } = tokens;

    internal void Add(RemoteWorker worker) => _live[worker.Key] = worker;

    internal void Remove(RemoteWorker worker) => _live.TryRemove(new(worker.Key, worker));

    /// <summary>Delivers a post of task <paramref name="task"/>; the answer carries the commands waiting for it.</summary>
    public UplinkAnswer Post(string token, int task, IReadOnlyList<string> lines)
    {
        if (Tokens.Read(token) is not { } key)
            return new UplinkAnswer(UplinkStatus.Unauthorized, []);
        if (!_live.TryGetValue(key, out var worker) || worker.HasEnded)
            return new UplinkAnswer(UplinkStatus.Gone, [WorkerCommands.Cancel]);
        if (task < 0 || task >= worker.Launch.Tasks)
            return new UplinkAnswer(UplinkStatus.BadTask, []);
        return new UplinkAnswer(UplinkStatus.Ok, worker.Deliver(task, lines));
    }
}

/// <summary>How the lab took a worker's post.</summary>
public enum UplinkStatus
{
    Ok,

    /// <summary>The token is forged, damaged or expired.</summary>
    Unauthorized,

    /// <summary>The attempt is over here (ended, cancelled, taken over): the worker must stop.</summary>
    Gone,

    /// <summary>No such task in the attempt.</summary>
    BadTask,
}

/// <summary>The lab's answer to a worker's post.</summary>
public sealed record UplinkAnswer(UplinkStatus Status, IReadOnlyList<string> Commands);
