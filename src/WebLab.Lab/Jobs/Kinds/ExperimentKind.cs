using WebLab.Runtime;
using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;
using WebLab.Training;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>The worker's input for an experiment.</summary>
/// <param name="Spec">As submitted (target and source by lab id).</param>
/// <param name="Checkpoint">Where the transfer arm's best model goes (null: not kept).</param>
public sealed record ExperimentInput(ExperimentSpec Spec, string TargetPath, string SourcePath, string Device, string? Checkpoint)
{
    /// <summary>The spec the engine runs: references replaced by paths.</summary>
    public ExperimentSpec Run => Spec with { Target = TargetPath, Source = SourcePath, Device = Device, CheckpointPath = Checkpoint };
}

/// <summary>Transfer vs scratch on one target: the negative transfer gap, the fine-tuned model kept as a checkpoint.</summary>
public sealed class ExperimentKind : JobKind<ExperimentSpec, ExperimentInput, ExperimentResult>
{
    public const string Id = "experiment";

    public override string Name => Id;

    public override string Lane => Lanes.Train;

    public override bool Submittable => true;

    protected override Task ValidateAsync(ExperimentSpec spec, SpecErrors errors, SpecContext context, CancellationToken cancellationToken) =>
        Check(spec, "", errors, context, cancellationToken);

    /// <summary>Adds the experiment's errors under <paramref name="path"/> ("" or "base" for a sweep's base).</summary>
    internal static async Task Check(ExperimentSpec spec, string path, SpecErrors errors, SpecContext context, CancellationToken cancellationToken)
    {
        var under = path.Length == 0 ? (Func<FieldError, FieldError>)(e => e) : e => e.Under(path);
        errors.AddRange(spec.Validate().Select(under));
        context.Limits.CheckExperiment(spec, path, errors);
        await context.References.CheckDatasetAsync(spec.Target, Join(path, "target"), errors, cancellationToken);
        await context.References.CheckCheckpointAsync(spec.Source, Join(path, "source"), errors, cancellationToken);
    }

    private static string Join(string path, string field) => path.Length == 0 ? field : $"{path}.{field}";

    protected override IReadOnlyList<string> Warnings(ExperimentSpec spec) => spec.Warnings();

    protected override ExperimentSpec Normalise(ExperimentSpec spec) => spec with { CheckpointPath = null, Device = DeviceChoice.Normalise(spec.Device) ?? DeviceChoice.Auto };

    protected override (string Field, string? Device) RequestedDevice(ExperimentSpec spec) => ("device", spec.Device);

    protected override async Task<ExperimentInput> ResolveAsync(ExperimentSpec spec, JobRecord job, ResolveContext context, CancellationToken cancellationToken) =>
        new(spec, await context.References.DatasetPathAsync(spec.Target, cancellationToken),
            await context.References.CheckpointPathAsync(spec.Source, cancellationToken), context.DeviceFor(spec.Device), context.CheckpointFor(job));

    protected override (ExperimentResult, OutputCheckpoint?) Run(ExperimentInput input, WorkerContext context)
    {
        var spec = input.Run;
        var result = Experiment.Run(spec, new InlineProgress<ExperimentEvent>(context.Output.Experiment), context.Control,
            context.Files, context.ScratchRuns, context.Cancellation);
        RenderMisclassified(spec, result, context);
        var checkpoint = result.Checkpoint is { } path && File.Exists(path)
            ? new OutputCheckpoint(path, System.Text.Json.JsonSerializer.SerializeToElement(Checkpoint.ReadInfo(path), WebLabJson.Compact))
            : null;
        return (result, checkpoint);
    }

    public override async Task RegisterOutputsAsync(OutputContext context, CancellationToken cancellationToken = default) =>
        await context.AddCheckpointAsync(await context.References.CheckpointIdAsync(ReadSpec(context.Job).Source, cancellationToken), cancellationToken);

    /// <summary>
    /// PNGs of the misclassified test images the result lists per confusion cell, into the job's folder before the
    /// result is sent, so they exist once the job has succeeded; the web process only serves the files. Not worth
    /// failing an experiment over: a problem here is logged and the job page shows the item ids alone.
    /// </summary>
    private static void RenderMisclassified(ExperimentSpec spec, ExperimentResult result, WorkerContext context)
    {
        var ids = result.Arms.SelectMany(a => a.Runs).SelectMany(r => r.ConfusionCells.Values).SelectMany(v => v).Distinct().ToList();
        if (ids.Count == 0)
            return;
        try
        {
            using var dataset = DatasetLoader.Load(spec.Target, new DatasetLoadOptions(Files: context.Files), cancellationToken: context.Cancellation);
            var written = ItemImages.Write(dataset, ids, Path.Combine(context.OutputDirectory, DataFolder.ItemImagesFolder), context.Cancellation);
            context.Output.Log($"rendered {written} misclassified test images");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            context.Output.Log($"the misclassified test images were not rendered: {e.Message}", "warning");
        }
    }
}
