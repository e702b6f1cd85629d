using WebLab.Data;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Training;

namespace WebLab.Lab.Workers;

/// <summary>
/// The worker side of the protocol: reads the job file, runs its kind's handler, writes JSON lines, obeys commands
/// on <c>stdin</c> and returns the exit code (<see cref="WorkerExit"/>). <c>weblab worker</c> is this plus SIGTERM.
/// </summary>
public static class WorkerRuntime
{
    /// <param name="interrupt">Signalled on SIGTERM or host shutdown: stop at the next batch and exit 75 (requeue).</param>
    public static int Run(string jobFile, DatasetFileOptions files, TextReader input, TextWriter output, TextWriter error,
        CancellationToken interrupt)
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
            var context = new WorkerContext(job.JobId, job.Device, job.OutputDirectory, lines, files, control, cancel.Token);
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
