using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace WebLab.Lab.Workers.Executors;

/// <summary>Where and how attempts run on a Slurm cluster ("WebLab:Slurm:...").</summary>
public sealed class SlurmOptions
{
    /// <summary>Partition (sbatch --partition); null: the cluster's default.</summary>
    public string? Partition { get; set; }

    /// <summary>Account charged (sbatch --account); null: the user's default.</summary>
    public string? Account { get; set; }

    /// <summary>GPUs per attempt (sbatch --gres=gpu:N); 0 trains on the node's CPUs.</summary>
    public int GpusPerJob { get; set; }

    /// <summary>CPUs per task (sbatch --cpus-per-task).</summary>
    public int CpusPerJob { get; set; } = 2;

    /// <summary>Memory per task (sbatch --mem, e.g. "16G"); null: the partition's default.</summary>
    public string? Memory { get; set; }

    /// <summary>Training attempts the lab keeps submitted at once (its training slots); Slurm decides where they run.</summary>
    public int MaxJobs { get; set; } = 4;

    /// <summary>Further sbatch options, one per entry (e.g. "--qos=short", "--constraint=a100").</summary>
    public List<string> ExtraArguments { get; set; } = [];

    /// <summary>
    /// The worker as the nodes run it (e.g. "/shared/weblab/weblab" or "dotnet /shared/weblab/weblab.dll"); null: this
    /// lab's own worker path, which the nodes must then see at the same place.
    /// </summary>
    public string? WorkerCommand { get; set; }

    /// <summary>Folder holding sbatch, squeue, sacct, scontrol and scancel; null: the PATH.</summary>
    public string? CommandsDirectory { get; set; }

    /// <summary>How often the lab asks Slurm about its jobs.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Runs attempts as Slurm batch jobs: sbatch (a sweep as a job array, one point per task), scancel, and sacct - or
/// scontrol where the cluster keeps no accounting - for how a job ended when its worker could not post it. Jobs are
/// submitted with --no-requeue: the lab decides about retries (a failed node requeues the job without spending an
/// attempt, as a SIGTERM does locally).
/// </summary>
public sealed class SlurmExecutor(SlurmOptions options, string? workerPath, RemoteWorkers registry, Func<string> labUrl, TimeProvider time, ILogger log)
    : RemoteExecutor(registry, labUrl, options.PollInterval, time, log)
{
    public override string Name => "slurm";

    public override int Slots => options.MaxJobs;

    public override bool Gpus => options.GpusPerJob > 0;

    /// <summary>Job names start with this and the job id, so people and tests find a job's Slurm job (squeue -n).</summary>
    public static string JobName(string jobId) => $"weblab-{jobId}";

    protected override async Task<string> SubmitAsync(WorkerLaunch launch, CancellationToken cancellationToken)
    {
        var script = Path.Combine(launch.Input.OutputDirectory, $"job-{launch.Job.Attempt}.sbatch");
        await File.WriteAllTextAsync(script, BatchScript(launch), cancellationToken);
        var output = await RunAsync("sbatch", ["--parsable", script], cancellationToken);
        var id = output.Trim().Split(';')[0];
        return id.Length > 0 && id.All(char.IsAsciiDigit) ? id : throw new InvalidOperationException($"sbatch answered '{output.Trim()}', not a job id");
    }

    /// <summary>The batch script of an attempt: its resources as #SBATCH lines, then the worker.</summary>
    public string BatchScript(WorkerLaunch launch)
    {
        var job = launch.Job;
        var array = launch.Tasks > 1;
        var lines = new List<string> { "#!/bin/bash", $"# WebLab job {job.Id}, attempt {job.Attempt}: written by the lab, read by sbatch." };
        void Sbatch(string option) => lines.Add("#SBATCH " + option);
        Sbatch($"--job-name={JobName(job.Id)}");
        Sbatch($"--output={Path.Combine(launch.Input.OutputDirectory, OutputFile(job.Attempt, array ? "%a" : null))}");
        Sbatch("--no-requeue");
        Sbatch($"--time={Math.Max(1, (int)Math.Ceiling((launch.Deadline - Time.GetUtcNow()).TotalMinutes)).ToString(CultureInfo.InvariantCulture)}");
        Sbatch("--ntasks=1");
        Sbatch($"--cpus-per-task={options.CpusPerJob}");
        if (options.Partition is { Length: > 0 } partition)
            Sbatch($"--partition={partition}");
        if (options.Account is { Length: > 0 } account)
            Sbatch($"--account={account}");
        if (options.GpusPerJob > 0)
            Sbatch($"--gres=gpu:{options.GpusPerJob}");
        if (options.Memory is { Length: > 0 } memory)
            Sbatch($"--mem={memory}");
        if (array)
            Sbatch($"--array=0-{launch.Tasks - 1}");
        foreach (var extra in options.ExtraArguments)
            Sbatch(extra);
        lines.Add($"export GLIBC_TUNABLES={Quote(WebLab.Runtime.NativeAllocator.GlibcTunables)}");
        foreach (var (key, value) in launch.Environment)
            lines.Add($"export {key}={Quote(value)}");
        var command = options.WorkerCommand is { Length: > 0 } configured ? configured : string.Join(' ', WorkerFiles.WorkerCommand(WorkerFiles.WorkerPath(workerPath)).Select(Quote));
        lines.Add($"exec {command} worker --job {Quote(launch.JobFile)}" + (array ? " --task \"$SLURM_ARRAY_TASK_ID\"" : ""));
        return string.Join('\n', lines) + "\n";
    }

    private static string OutputFile(int attempt, string? task) => task is null ? $"slurm-{attempt}.out" : $"slurm-{attempt}-{task}.out";

    protected override async Task<IReadOnlyList<TaskView>> QueryAsync(RemoteWorker worker, CancellationToken cancellationToken)
    {
        var id = worker.SchedulerId;
        string text;
        bool accounting = true;
        try
        {
            text = await RunAsync("sacct", ["-j", id, "-X", "-n", "-P", "-o", "JobID,State,ExitCode"], cancellationToken);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("accounting storage is disabled", StringComparison.OrdinalIgnoreCase))
        {
            accounting = false;
            text = "";
        }
        var states = accounting ? SlurmStates.FromSacct(text, id) : SlurmStates.FromScontrol(await ScontrolAsync(id, cancellationToken));
        return Enumerable.Range(0, worker.Launch.Tasks).Select(task => states.TryGetValue(task, out var state) ? SlurmStates.View(state)
            : accounting ? TaskView.Queued // sacct may not list a task yet
            : new TaskView(false, new WorkerEnd(WorkerExit.Failed, $"Slurm no longer knows job {id}"))).ToList();
    }

    private async Task<string> ScontrolAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync("scontrol", ["show", "job", id, "-o"], cancellationToken);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
        {
            return ""; // forgotten (older than MinJobAge): every task reads as lost
        }
    }

    protected override Task CancelAsync(RemoteWorker worker, CancellationToken cancellationToken) =>
        RunAsync("scancel", [worker.SchedulerId], cancellationToken);

    protected internal override string OutputTail(RemoteWorker worker)
    {
        var folder = worker.Launch.Input.OutputDirectory;
        var files = worker.Launch.Tasks > 1
            ? Enumerable.Range(0, worker.Launch.Tasks).Select(t => OutputFile(worker.Launch.Job.Attempt, t.ToString(CultureInfo.InvariantCulture)))
            : [OutputFile(worker.Launch.Job.Attempt, null)];
        var lines = files.Select(f => Path.Combine(folder, f)).Where(File.Exists).SelectMany(f => File.ReadLines(f).TakeLast(20));
        return string.Join('\n', lines.TakeLast(40));
    }

    /// <summary>Runs a Slurm command; its stdout, or an exception with its stderr when it fails.</summary>
    private async Task<string> RunAsync(string command, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.CommandsDirectory is { Length: > 0 } dir ? Path.Combine(dir, command) : command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill();
            throw new TimeoutException($"{command} did not answer within 60 s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed ({process.ExitCode}): {(await stderr).Trim()}");
        return await stdout;
    }

    /// <summary>A word for a POSIX shell: single-quoted, with embedded quotes closed and reopened.</summary>
    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>Slurm's job states, read from sacct or scontrol, and what each means for the lab.</summary>
public static class SlurmStates
{
    /// <summary>A task's state and exit code ("1:0": code 1, no signal).</summary>
    public sealed record State(string Name, int ExitCode, int Signal);

    /// <summary>Task index -> state from <c>sacct -X -n -P -o JobID,State,ExitCode</c> lines ("17_2|COMPLETED|0:0", "17_[3-5]|PENDING|0:0").</summary>
    public static Dictionary<int, State> FromSacct(string text, string jobId)
    {
        var states = new Dictionary<int, State>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split('|');
            if (parts.Length < 3)
                continue;
            var (code, signal) = ExitCode(parts[2]);
            var state = new State(parts[1].Split(' ')[0], code, signal);
            foreach (var task in Tasks(parts[0], jobId))
                states[task] = state;
        }
        return states;
    }

    /// <summary>Task index -> state from <c>scontrol show job ID -o</c> (one line per array element; pending elements as a range).</summary>
    public static Dictionary<int, State> FromScontrol(string text)
    {
        var states = new Dictionary<int, State>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('=', 2)).Where(f => f.Length == 2)
                .GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.First()[1]);
            if (!fields.TryGetValue("JobState", out var name))
                continue;
            var (code, signal) = ExitCode(fields.GetValueOrDefault("ExitCode", "0:0"));
            var tasks = fields.TryGetValue("ArrayTaskId", out var range) ? Range(range) : [0];
            foreach (var task in tasks)
                states[task] = new State(name, code, signal);
        }
        return states;
    }

    /// <summary>
    /// What a state means to the lab. Waiting and running states are not ends; a failed node or preemption requeues
    /// the job without spending an attempt (as SIGTERM does); scancel from outside the lab too (the worker usually
    /// says so itself first: scancel sends SIGTERM); the others are failures.
    /// </summary>
    public static TaskView View(State state) => state.Name switch
    {
        "PENDING" or "CONFIGURING" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED" or "RESV_DEL_HOLD" or "SUSPENDED" => TaskView.Queued,
        "RUNNING" or "COMPLETING" or "STAGE_OUT" or "SIGNALING" or "RESIZING" => TaskView.Running,
        "COMPLETED" => new(false, new WorkerEnd(state.ExitCode)),
        "NODE_FAIL" or "PREEMPTED" or "BOOT_FAIL" or "CANCELLED" or "REVOKED" =>
            new(false, new WorkerEnd(WorkerExit.Interrupted, $"Slurm ended the job ({state.Name})")),
        "OUT_OF_MEMORY" => new(false, new WorkerEnd(137, "Slurm killed the job: out of memory")),
        "TIMEOUT" or "DEADLINE" => new(false, new WorkerEnd(WorkerExit.Failed, $"Slurm ended the job at its time limit ({state.Name})")),
        _ => new(false, new WorkerEnd(state.Signal > 0 ? 128 + state.Signal : Math.Max(state.ExitCode, WorkerExit.Failed),
            $"Slurm: {state.Name}, exit {state.ExitCode}:{state.Signal}")),
    };

    private static (int Code, int Signal) ExitCode(string text)
    {
        var parts = text.Split(':');
        int Read(int i) => parts.Length > i && int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        return (Read(0), Read(1));
    }

    /// <summary>The tasks a sacct JobID names: "17" (not an array: task 0), "17_4", "17_[0-2,5%2]".</summary>
    private static IEnumerable<int> Tasks(string id, string jobId)
    {
        if (id == jobId)
            return [0];
        var underscore = id.IndexOf('_', StringComparison.Ordinal);
        if (underscore < 0)
            return []; // another job, or an array's task listed under its own id (sacct lists them as ARRAY_TASK)
        return Range(id[(underscore + 1)..].Trim('[', ']'));
    }

    /// <summary>"3", "0-4", "1,3-5", "0-9%2" (a throttle) as indices.</summary>
    private static IEnumerable<int> Range(string text)
    {
        foreach (var part in text.Split('%')[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-');
            if (!int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first))
                continue;
            var last = ends.Length > 1 && int.TryParse(ends[1], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : first;
            for (int i = first; i <= last; i++)
                yield return i;
        }
    }
}
