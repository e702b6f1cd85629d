using System.Text.Json;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;

namespace WebLab.Web.Api;

/// <summary>A class and its probability.</summary>
public sealed record PredictedClass(int Index, string Name, double Probability);

/// <summary>The top-k classes a checkpoint gives one image.</summary>
public sealed record Prediction(string Image, string? Checkpoint, IReadOnlyList<PredictedClass> Top);

/// <summary>
/// "Try it": one image through a checkpoint. The image is decoded and the model run in a utility worker process
/// (libtorch never loads in the web process); this waits for that short job and returns its answer.
/// </summary>
public sealed class Predictions(DataFolder folder, JobRunner runner, JobStore jobs, CheckpointStore checkpoints)
{
    public const long MaxImageBytes = 20L << 20;

    public async Task<Prediction> PredictAsync(string checkpointId, Stream image, string imageName, string owner, CancellationToken cancellationToken)
    {
        var checkpoint = await checkpoints.FindAsync(checkpointId, cancellationToken)
                         ?? throw new BadInputException($"No checkpoint '{checkpointId}'.");
        var extension = Path.GetExtension(imageName) is { Length: > 1 and <= 5 } e && e[1..].All(char.IsLetterOrDigit) ? e : ".img";
        var path = Path.Combine(folder.Uploads, Ids.New("up") + extension);
        await folder.WriteAtomicAsync(image, path, MaxImageBytes, cancellationToken);
        try
        {
            var spec = new PredictSpec(checkpoint.Path, path, Path.GetFileName(imageName));
            var (job, _) = await runner.SubmitAsync(new JobSubmission(JobKinds.Predict, owner, $"Try {checkpoint.Name}",
                JsonSerializer.Serialize(spec, WebLabJson.Compact), Priority: 5), cancellationToken);
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (true)
            {
                var now = await jobs.GetAsync(job.Id, cancellationToken);
                if (now is { State: JobState.Succeeded, ResultJson: { } result })
                    return JsonSerializer.Deserialize<Prediction>(result, WebLabJson.Compact)!;
                if (now is null || now.IsFinished)
                    throw new BadInputException(now?.Error ?? "The prediction job disappeared.");
                if (DateTime.UtcNow > deadline)
                {
                    await runner.CancelAsync(job.Id, "prediction timed out", CancellationToken.None);
                    throw new TimeoutException("The prediction did not finish within 2 minutes; the lab may be busy. Try again.");
                }
                await Task.Delay(100, cancellationToken);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
