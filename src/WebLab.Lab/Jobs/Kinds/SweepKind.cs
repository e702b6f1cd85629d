using WebLab.Runtime;
using WebLab.Lab.Workers;
using WebLab.Training;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>The worker's input for a sweep.</summary>
/// <param name="Spec">As submitted (the base's target and source by lab id).</param>
public sealed record SweepInput(SweepSpec Spec, string TargetPath, string SourcePath, string Device)
{
    /// <summary>The sweep the engine runs: the base's references replaced by paths.</summary>
    public SweepSpec Run => Spec with { Base = Spec.Base with { Target = TargetPath, Source = SourcePath, Device = Device, CheckpointPath = null } };
}

/// <summary>A grid of experiments over any dials (or the data-efficiency sweep over images per class).</summary>
public sealed class SweepKind : JobKind<SweepSpec, SweepInput, SweepResult>
{
    public const string Id = "sweep";

    public override string Name => Id;

    public override string Lane => Lanes.Train;

    public override TimeSpan DefaultDeadline => TimeSpan.FromDays(3);

    public override bool Submittable => true;

    protected override async Task ValidateAsync(SweepSpec spec, SpecErrors errors, SpecContext context, CancellationToken cancellationToken)
    {
        if (spec.Base is null)
            errors.Add("base", "required: the experiment every point starts from.");
        else
            await ExperimentKind.Check(spec.Base, "base", errors, context, cancellationToken);
        if (spec.Axes is null || spec.Axes.Count == 0)
        {
            errors.Add("axes", "give at least one axis: { \"setting\": \"headLearningRate\", \"values\": [\"0.01\", \"0.1\"] }.");
            return;
        }
        // The size first: a grid is only built once it is known to be small.
        if (spec.Base is null || !context.Limits.CheckSweepSize(spec, errors))
            return;
        try
        {
            foreach (var (settings, point) in spec.Points())
            {
                var label = string.Join(", ", settings.Select(kv => $"{kv.Key}={kv.Value}"));
                foreach (var error in context.Limits.ExperimentErrors(point))
                    errors.Add("axes", $"point {label}: {error}");
            }
        }
        catch (BadInputException e)
        {
            errors.Add("axes", e.Message);
        }
    }

    // A seeds axis decides the seeds per point; otherwise every point runs the base spec's.
    protected override IReadOnlyList<string> Warnings(SweepSpec spec) =>
        spec.Axes.Any(a => string.Equals(a.Setting, "seeds", StringComparison.OrdinalIgnoreCase)) ? [] : spec.Base.Warnings();

    protected override SweepSpec Normalise(SweepSpec spec) =>
        spec with { Base = spec.Base with { CheckpointPath = null, Device = DeviceChoice.Normalise(spec.Base.Device) ?? DeviceChoice.Auto } };

    protected override (string Field, string? Device) RequestedDevice(SweepSpec spec) => ("base.device", spec.Base.Device);

    protected override async Task<SweepInput> ResolveAsync(SweepSpec spec, JobRecord job, ResolveContext context, CancellationToken cancellationToken) =>
        new(spec, await context.References.DatasetPathAsync(spec.Base.Target, cancellationToken),
            await context.References.CheckpointPathAsync(spec.Base.Source, cancellationToken), context.DeviceFor(spec.Base.Device));

    protected override (SweepResult, OutputCheckpoint?) Run(SweepInput input, WorkerContext context) =>
        (Sweeps.Run(input.Run, new InlineProgress<SweepProgress>(context.Output.SweepPoint),
            context.Control, context.Files, context.Task, context.ScratchRuns, context.Cancellation), null);

    // On executors that run arrays, each point is a task of its own (a Slurm job array: the points run side by side).
    protected override int Tasks(SweepInput input) => (int)input.Spec.PointCount();

    protected override SweepResult Combine(SweepInput input, IReadOnlyList<SweepResult> tasks) =>
        new(tasks[0].Name, tasks[0].Axes, tasks.SelectMany(t => t.Points).ToList(), tasks.Max(t => t.Seconds), tasks.Any(t => t.Stopped));
}
