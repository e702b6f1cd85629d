using WebLab.Data;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Training;

namespace WebLab.Lab.Workers;

/// <summary>
/// The worker side of the protocol: reads the job file, runs its kind's handler, writes JSON lines, obeys commands
/// and returns the exit code (<see cref="WorkerExit"/>). A local worker's wire is stdout and stdin; a worker on
/// another machine (its job file has an uplink) posts to the lab instead. <c>weblab worker</c> is this plus SIGTERM.
/// </summary>
public static class WorkerRuntime
{
    /// <summary>Runs the job over its uplink when the job file has one, else over <paramref name="input"/> and <paramref name="output"/>.</summary>
    /// <param name="task">The array task to run (a sweep point); null: the whole job.</param>
    public static int Main(string jobFile, int? task, DatasetFileOptions files, TextReader input, TextWriter output, TextWriter error,
        CancellationToken interrupt)
    {
        WorkerUplink? uplink;
        try
        {
            uplink = WebLabJson.Deserialize<WorkerJob>(File.ReadAllText(jobFile), jobFile).Uplink;
        }
        catch (Exception e) when (e is IOException or BadInputException or UnauthorizedAccessException)
        {
            error.WriteLine($"weblab worker: cannot read the job file: {e.Message}");
            return WorkerExit.Failed;
        }
        if (uplink is null)
            return Run(jobFile, files, input, output, error, interrupt, task);
        using var lab = new LabUplink(uplink, task ?? 0, error);
        int exit = Run(jobFile, files, lab.Commands, lab.Output, error, interrupt, task);
        if (!lab.Finish(exit, TimeSpan.FromMinutes(2)))
            error.WriteLine("weblab worker: the lab did not take the last messages within 2 minutes");
        return exit;
    }

    /// <param name="interrupt">Signalled on SIGTERM or host shutdown: stop at the next batch and exit 75 (requeue).</param>
    public static int Run(string jobFile, DatasetFileOptions files, TextReader input, TextWriter output, TextWriter error,
        CancellationToken interrupt, int? task = null)
    {
        using var lines = new WorkerOutput(output);
        var control = new RunControl();
        using var cancel = new CancellationTokenSource();
        int interrupted = 0;
        void Interrupt()
        {
            Interlocked.Exchange(ref interrupted, 1);
            cancel.Cancel();
        }
        using var onInterrupt = interrupt.Register(Interrupt);
        var commands = new Thread(() => ReadCommands(input, control, cancel, Interrupt)) { IsBackground = true, Name = "worker commands" };
        commands.Start();

        try
        {
            var job = WebLabJson.Deserialize<WorkerJob>(File.ReadAllText(jobFile), jobFile);
            var kind = JobKinds.Get(job.Kind);
            // The lab starts its workers with WEBLAB_CACHE in its data folder, so this is data/cache/scratch-runs (DataFolder.ScratchRuns).
            var context = new WorkerContext(job.JobId, job.Device, job.OutputDirectory, lines, files, control, cancel.Token, task,
                new FolderScratchRunCache(FolderScratchRunCache.DefaultRoot));
            lines.Send(kind.Run(job.Input, context));
            return WorkerExit.Succeeded;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return Volatile.Read(ref interrupted) == 1 ? WorkerExit.Interrupted : WorkerExit.Cancelled;
        }
        catch (BadInputException e)
        {
            lines.Send(new WorkerFailure(e.Message, Retryable: false));
            return WorkerExit.BadInput;
        }
#pragma warning disable CA1031 // Every other failure is reported to the host, which decides on a retry.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error.WriteLine(e);
            lines.Send(new WorkerFailure($"{e.GetType().Name}: {e.Message}", Retryable: true));
            return WorkerExit.Failed;
        }
    }

    private static void ReadCommands(TextReader input, RunControl control, CancellationTokenSource cancel, Action interrupt)
    {
        try
        {
            while (input.ReadLine() is { } line)
            {
                switch (line.Trim())
                {
                    case WorkerCommands.Stop:
                        control.RequestStop();
                        break;
                    case WorkerCommands.Cancel:
                        cancel.Cancel();
                        break;
                    case WorkerCommands.Interrupt:
                        interrupt();
                        break;
                }
            }
            interrupt(); // stdin closed: the lab is gone; stop rather than train for nobody
        }
        catch (ObjectDisposedException)
        {
            // the job ended first
        }
    }
}
