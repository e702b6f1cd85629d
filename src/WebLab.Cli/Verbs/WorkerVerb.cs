using System.CommandLine;
using System.Runtime.InteropServices;
using WebLab.Lab.Workers;

namespace WebLab.Cli.Verbs;

/// <summary>
/// weblab worker --job FILE: runs one lab job in this process (<see cref="WorkerRuntime"/>: JSON lines on stdout,
/// commands on stdin, exit codes of <see cref="WorkerExit"/>). Started by the lab, not by people.
/// </summary>
internal static class WorkerVerb
{
    public static Command Create()
    {
        var job = new Option<string>("--job") { Description = "the job file written by the lab", Required = true };
        var task = new Option<int?>("--task") { Description = "the array task to run (one sweep point), as Slurm's SLURM_ARRAY_TASK_ID" };
        var command = new Command("worker", "Run one lab job (started by the lab; speaks JSON lines on stdout, or posts them to the lab).") { job, task };
        command.Hidden = true;
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(parse.GetRequiredValue(job), parse.GetValue(task), cancellationToken)));
        return command;
    }

    private static int Run(string jobFile, int? task, CancellationToken terminate)
    {
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(terminate);
        using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true; // stop at the next batch, then exit 75
            interrupt.Cancel();
        });
        return WorkerRuntime.Main(jobFile, task, Cli.Files(noInstall: false), Console.In, Console.Out, Console.Error, interrupt.Token);
    }
}
