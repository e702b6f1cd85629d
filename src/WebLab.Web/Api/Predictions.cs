using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Web.Api;

/// <summary>
/// "Try it": one image through a checkpoint. The image is decoded and the model run in a utility worker process
/// (libtorch never loads in the web process); this waits for that short job and returns its answer.
/// </summary>
public sealed class Predictions(DataFolder folder, LabCommands commands, LabEvents events, JobRunner runner, JobStore jobs, CheckpointStore checkpoints)
{
    public const long MaxImageBytes = 20L << 20;

    public async Task<Prediction> PredictAsync(string checkpointId, Stream image, string imageName, string owner, CancellationToken cancellationToken)
    {
        var checkpoint = await checkpoints.FindAsync(checkpointId, cancellationToken)
                         ?? throw new BadInputException($"No checkpoint '{checkpointId}'.");
        var upload = DataFolder.NewUploadName(imageName);
        var path = folder.UploadFile(upload);
        await folder.WriteAtomicAsync(image, path, MaxImageBytes, cancellationToken);
        try
        {
            var kind = JobKinds.Of<PredictKind>();
            var (job, _) = await commands.SubmitAsync(kind, new PredictSpec(checkpoint.Id, upload, Path.GetFileName(imageName)), owner,
                $"Try {checkpoint.Name}", priority: 5, cancellationToken: cancellationToken);
            var done = await events.FinishedAsync(job.Id, jobs, TimeSpan.FromMinutes(2), cancellationToken);
            if (done is { State: JobState.Succeeded } && kind.ReadResult(done) is { } prediction)
                return prediction;
            if (done is not null)
                throw new BadInputException(done.Error ?? $"The prediction job {done.State.Label()}.");
            await runner.CancelAsync(job.Id, "prediction timed out", CancellationToken.None);
            throw new TimeoutException("The prediction did not finish within 2 minutes; the lab may be busy. Try again.");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
