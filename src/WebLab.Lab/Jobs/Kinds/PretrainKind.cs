using WebLab.Runtime;
using WebLab.Lab.Workers;
using WebLab.Training;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>The worker's input for a pretraining job.</summary>
/// <param name="Spec">As submitted (the dataset by lab or catalogue id).</param>
public sealed record PretrainInput(PretrainSpec Spec, string DatasetPath, string Device, string Output);

/// <summary>Trains a source model from scratch on a dataset and registers it as a checkpoint.</summary>
public sealed class PretrainKind : JobKind<PretrainSpec, PretrainInput, PretrainResult>
{
    public const string Id = "pretrain";

    public override string Name => Id;

    public override string Lane => Lanes.Train;

    public override bool Submittable => true;

    protected override async Task ValidateAsync(PretrainSpec spec, SpecErrors errors, SpecContext context, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(spec.Dataset))
            errors.Add("dataset", "required.");
        await context.References.CheckDatasetAsync(spec.Dataset, "dataset", errors, cancellationToken);
        if (!Models.Architectures.All.Any(a => a.Name == spec.Architecture))
            errors.Add("architecture", $"unknown architecture '{spec.Architecture}'; known: {string.Join(", ", Models.Architectures.All.Select(a => a.Name))}.");
        if (spec.Epochs < 1)
            errors.Add("epochs", $"must be 1..{context.Limits.MaxEpochs}.");
        context.Limits.CheckBudget(spec.Epochs, null, "", errors);
        context.Limits.CheckPerClass(spec.PerClass, "perClass", errors);
        context.Limits.CheckSeed(spec.Seed, "seed", errors);
        if (spec.BatchSize is < 1 or > 4096)
            errors.Add("batchSize", "must be 1..4096.");
        if (spec.LearningRate is <= 0 or > 10)
            errors.Add("learningRate", "must be in (0, 10].");
    }

    // The server decides where the checkpoint goes and which device trains it.
    protected override PretrainSpec Normalise(PretrainSpec spec) => spec with { Output = "", Device = DeviceChoice.Normalise(spec.Device) ?? DeviceChoice.Auto };

    protected override (string Field, string? Device) RequestedDevice(PretrainSpec spec) => ("device", spec.Device);

    protected override async Task<PretrainInput> ResolveAsync(PretrainSpec spec, JobRecord job, ResolveContext context, CancellationToken cancellationToken) =>
        new(spec, await context.References.DatasetPathAsync(spec.Dataset, cancellationToken), context.DeviceFor(spec.Device), context.CheckpointFor(job));

    protected override (PretrainResult, OutputCheckpoint?) Run(PretrainInput input, WorkerContext context)
    {
        var output = context.Output;
        var result = Pretrainer.Run(input.Spec with { Dataset = input.DatasetPath, Device = input.Device, Output = input.Output },
            new InlineProgress<TrainingProgress>(output.Training),
            context.Status, context.Control, context.Files, context.Cancellation);
        return (result, new OutputCheckpoint(result.Checkpoint, System.Text.Json.JsonSerializer.SerializeToElement(result.Info, WebLabJson.Compact)));
    }
}
