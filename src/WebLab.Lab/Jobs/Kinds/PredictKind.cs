using WebLab.Lab.Workers;
using WebLab.Training;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>The top-k classes of one uploaded image ("try it").</summary>
/// <param name="Checkpoint">The checkpoint's lab id (or "demo").</param>
/// <param name="Upload">The image's file name in the lab's uploads folder.</param>
/// <param name="ImageName">The name the user's file had (shown back).</param>
public sealed record PredictSpec(string Checkpoint, string Upload, string ImageName, int TopK = 5);

/// <summary>The worker's input for a prediction.</summary>
public sealed record PredictInput(string CheckpointPath, string ImagePath, string ImageName, int TopK);

/// <summary>The top-k classes a checkpoint gives one image.</summary>
public sealed record Prediction(string Image, string? Checkpoint, IReadOnlyList<ClassScore> Top);

/// <summary>Runs one image through a checkpoint in a utility worker (libtorch never loads in the web process).</summary>
public sealed class PredictKind : JobKind<PredictSpec, PredictInput, Prediction>
{
    public const string Id = "predict";

    public override string Name => Id;

    public override string Lane => Lanes.Utility;

    public override bool MayBorrowGpu => true;

    public override TimeSpan DefaultDeadline => TimeSpan.FromMinutes(5);

    protected override async Task ValidateAsync(PredictSpec spec, SpecErrors errors, SpecContext context, CancellationToken cancellationToken)
    {
        await context.References.CheckCheckpointAsync(spec.Checkpoint, "checkpoint", errors, cancellationToken);
        if (spec.TopK is < 1 or > 100)
            errors.Add("topK", "must be 1..100.");
    }

    protected override async Task<PredictInput> ResolveAsync(PredictSpec spec, JobRecord job, ResolveContext context, CancellationToken cancellationToken) =>
        new(await context.References.CheckpointPathAsync(spec.Checkpoint, cancellationToken), context.Folder.UploadFile(spec.Upload), spec.ImageName,
            spec.TopK);

    protected override (Prediction, OutputCheckpoint?) Run(PredictInput input, WorkerContext context)
    {
        using var predictor = new Predictor(input.CheckpointPath, context.Device);
        var top = predictor.Predict(File.ReadAllBytes(input.ImagePath), input.ImageName, input.TopK);
        return (new Prediction(input.ImageName, predictor.Info.Name, top), null);
    }
}
