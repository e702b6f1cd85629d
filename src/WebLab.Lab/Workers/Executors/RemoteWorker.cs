using System.Threading.Channels;
using WebLab.Lab.Jobs.Kinds;

namespace WebLab.Lab.Workers.Executors;

/// <summary>
/// An attempt running on another machine (a Slurm job or array, a Kubernetes Job). Its tasks post protocol lines to
/// the lab (<see cref="RemoteWorkers"/>), which arrive here through <see cref="Deliver"/> and are answered with the
/// commands waiting for them; the executor's scheduler says how a task ended when the task could not say it itself.
/// An array's tasks run one sweep point each: their events stream through as they come, and their results become the
/// job's one result (<see cref="JobKind.Combine"/>) once every task has ended.
/// </summary>
public sealed class RemoteWorker : IWorker
{
    private readonly RemoteExecutor _executor;
    private readonly Channel<WorkerMessage> _messages = Channel.CreateUnbounded<WorkerMessage>();
    private readonly TaskCompletionSource<WorkerEnd> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly WorkerLiveness _liveness;
    private readonly RemoteTask[] _tasks;
    private readonly Lock _gate = new();
    private int _abandoned;
    private int _killed;

    internal RemoteWorker(RemoteExecutor executor, WorkerLaunch launch, WorkerKey key, TimeProvider time)
    {
        _executor = executor;
        Launch = launch;
        Key = key;
        _liveness = new WorkerLiveness(time);
        _tasks = Enumerable.Range(0, launch.Tasks).Select(_ => new RemoteTask()).ToArray();
    }

    public WorkerLaunch Launch { get; }

    /// <summary>Which launch of which attempt this is (what its token names).</summary>
    public WorkerKey Key { get; }

    /// <summary>The scheduler's id of the attempt (Slurm job id, Kubernetes Job name); set once it was submitted.</summary>
    public string SchedulerId { get; internal set; } = "";

    public string Id => $"{_executor.Name} {SchedulerId}";

    public DateTimeOffset LastHeard => _liveness.LastHeard;

    public DateTimeOffset LastProgress => _liveness.LastProgress;

    public bool HasEnded => _end.Task.IsCompleted;

    public IAsyncEnumerable<WorkerMessage> MessagesAsync() => _messages.Reader.ReadAllAsync();

    /// <summary>Lines task <paramref name="task"/> posted; returns the commands waiting for it.</summary>
    public IReadOnlyList<string> Deliver(int task, IReadOnlyList<string> lines)
    {
        _liveness.Heard();
        foreach (var line in lines.Where(l => l.Length > 0))
        {
            switch (_liveness.Read(line, task))
            {
                case WorkerExited exited:
                    Ended(task, new WorkerEnd(exited.Code));
                    break;
                case WorkerResult result:
                    _tasks[task].Result = result;
                    break;
                case WorkerFailure failure:
                    _tasks[task].Failure = failure;
                    break;
                case WorkerAlive:
                    break;
                case var message:
                    _messages.Writer.TryWrite(message);
                    break;
            }
        }
        lock (_gate)
            return _tasks[task].TakeCommands();
    }

    /// <summary>The scheduler still has tasks waiting for a node: not silence, so the stall clocks do not run.</summary>
    internal void Waiting() => _liveness.Waiting();

    /// <summary>The scheduler says task <paramref name="task"/> has ended; a task that posted its exit keeps that instead.</summary>
    internal void Ended(int task, WorkerEnd end)
    {
        lock (_gate)
        {
            if (_tasks[task].End is not null)
                return;
            _tasks[task].End = end;
            if (_tasks.Any(t => t.End is null))
                return;
        }
        Finish();
    }

    /// <summary>Every task has ended: the job's result (all succeeded) or the most serious task's failure.</summary>
    private void Finish()
    {
        WorkerEnd end;
        if (_tasks.All(t => t.End!.Code == WorkerExit.Succeeded && t.Result is not null))
        {
            var results = _tasks.Select(t => t.Result!).ToList();
            _messages.Writer.TryWrite(results.Count == 1 ? results[0] : JobKinds.Get(Launch.Job.Kind).Combine(Launch.Input.Input, results));
            end = new WorkerEnd(WorkerExit.Succeeded);
        }
        else
        {
            var worst = _tasks.Where(t => t.End!.Code != WorkerExit.Succeeded || t.Result is null).MaxBy(t => Severity(t.End!.Code))!;
            if (worst.Failure is not null)
                _messages.Writer.TryWrite(worst.Failure);
            end = worst.End!.Code == WorkerExit.Succeeded
                ? new WorkerEnd(WorkerExit.Failed, "the worker ended without sending its result")
                : worst.End;
        }
        _messages.Writer.TryComplete();
        _end.TrySetResult(end);
    }

    /// <summary>Which task's ending speaks for an array: bad input over failures over interruptions over cancels.</summary>
    private static int Severity(int code) => code switch
    {
        WorkerExit.BadInput => 4,
        WorkerExit.Interrupted => 2,
        WorkerExit.Cancelled => 1,
        WorkerExit.Succeeded => 0,
        _ => 3,
    };

    public bool Send(string command)
    {
        lock (_gate)
        {
            foreach (var task in _tasks.Where(t => t.End is null))
                task.Commands.Add(command);
            return _tasks.Any(t => t.End is null);
        }
    }

    /// <summary>Tells the tasks, then asks the scheduler to end them: scancel and Kubernetes give the worker its own grace (SIGTERM first).</summary>
    public void Abandon(string command, TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _abandoned, 1) == 1)
            return;
        Send(command);
        Kill();
    }

    public void Kill()
    {
        if (HasEnded || SchedulerId.Length == 0 || Interlocked.Exchange(ref _killed, 1) == 1)
            return;
        _executor.Cancel(this);
    }

    public Task<WorkerEnd> WaitForExitAsync() => _end.Task;

    public string StderrTail() => _executor.OutputTail(this);

    public void Dispose() => _executor.Forget(this);

    private sealed class RemoteTask
    {
        public WorkerEnd? End { get; set; }

        public WorkerResult? Result { get; set; }

        public WorkerFailure? Failure { get; set; }

        public List<string> Commands { get; } = [];

        public List<string> TakeCommands()
        {
            var taken = Commands.ToList();
            Commands.Clear();
            return taken;
        }
    }
}
