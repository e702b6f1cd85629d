using WebLab.Data;
using WebLab.Training;

namespace WebLab.Lab.Workers;

/// <summary>What a job kind's handler gets in the worker process.</summary>
/// <param name="OutputDirectory">The job's folder (files it leaves for the host to serve).</param>
/// <param name="Files">How datasets are found or installed on this machine.</param>
/// <param name="Control">Stop early (keeping the best model so far).</param>
/// <param name="Cancellation">Abandon the job (cancel, interrupt).</param>
/// <param name="Task">The task of an array (one sweep point) this worker runs; null: the whole job.</param>
/// <param name="ScratchRuns">Finished scratch runs shared by this lab's workers (reused by content key); null: every one trains.</param>
public sealed record WorkerContext(string JobId, string Device, string OutputDirectory, WorkerOutput Output, DatasetFileOptions Files,
    RunControl Control, CancellationToken Cancellation, int? Task = null, IScratchRunCache? ScratchRuns = null)
{
    /// <summary>Status lines for the job's log.</summary>
    public IProgress<string> Status => new InlineProgress<string>(s => Output.Log(s));
}
