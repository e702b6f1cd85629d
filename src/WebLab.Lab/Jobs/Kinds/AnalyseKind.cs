using WebLab.Runtime;
using WebLab.Lab.Workers;
using WebLab.Transfer;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>The worker's input for an analysis.</summary>
/// <param name="Spec">As submitted (target and source by lab id).</param>
public sealed record AnalyseInput(AnalysisSpec Spec, string TargetPath, string SourcePath, string Device);

/// <summary>Transferability measures and the recommender's choice for a target and a source, before any training.</summary>
public sealed class AnalyseKind : JobKind<AnalysisSpec, AnalyseInput, AnalysisReport>
{
    public const string Id = "analyse";

    public override string Name => Id;

    public override string Lane => Lanes.Utility;

    public override TimeSpan DefaultDeadline => TimeSpan.FromHours(1);

    public override bool Submittable => true;

    protected override async Task ValidateAsync(AnalysisSpec spec, SpecErrors errors, SpecContext context, CancellationToken cancellationToken)
    {
        errors.AddRange(spec.Validate());
        context.Limits.CheckPerClass(spec.PerClass, "perClass", errors);
        context.Limits.CheckSeed(spec.Seed, "seed", errors);
        await context.References.CheckDatasetAsync(spec.Target, "target", errors, cancellationToken);
        await context.References.CheckCheckpointAsync(spec.Source, "source", errors, cancellationToken);
    }

    protected override AnalysisSpec Normalise(AnalysisSpec spec) => spec with { Device = DeviceChoice.Normalise(spec.Device) ?? DeviceChoice.Auto };

    protected override (string Field, string? Device) RequestedDevice(AnalysisSpec spec) => ("device", spec.Device);

    public override bool MayBorrowGpu => true;

    protected override async Task<AnalyseInput> ResolveAsync(AnalysisSpec spec, JobRecord job, ResolveContext context, CancellationToken cancellationToken) =>
        new(spec, await context.References.DatasetPathAsync(spec.Target, cancellationToken),
            await context.References.CheckpointPathAsync(spec.Source, cancellationToken), context.DeviceFor(spec.Device));

    protected override (AnalysisReport, OutputCheckpoint?) Run(AnalyseInput input, WorkerContext context)
    {
        var analysis = Analysis.Run(input.Spec with { Target = input.TargetPath, Source = input.SourcePath, Device = input.Device },
            context.Status, context.Files, context.Cancellation);
        return (new AnalysisReport(analysis, Recommender.Recommend(analysis)), null);
    }
}
