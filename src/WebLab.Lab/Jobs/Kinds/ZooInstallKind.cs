using System.Text.Json;
using WebLab.Checkpoints;
using WebLab.Checkpoints.Zoo;
using WebLab.Lab.Workers;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>Install a zoo model (queued by the lab's first start: its built-in ImageNet source).</summary>
/// <param name="Model">A <see cref="ModelZoo"/> id, e.g. resnet18-imagenet.</param>
public sealed record ZooInstallSpec(string Model);

/// <summary>The worker's input: which model, and where its checkpoint goes.</summary>
public sealed record ZooInstallInput(string Model, string Output);

/// <summary>Converts a zoo model's shipped files into a checkpoint in a worker (libtorch stays out of the host).</summary>
public sealed class ZooInstallKind : JobKind<ZooInstallSpec, ZooInstallInput, CheckpointInfo>
{
    public const string Id = "zoo-install";

    public override string Name => Id;

    public override string Lane => Lanes.Utility;

    /// <summary>Converting the packaged ONNX file takes seconds; an hour means something is wrong.</summary>
    public override TimeSpan DefaultDeadline => TimeSpan.FromHours(1);

    protected override Task ValidateAsync(ZooInstallSpec spec, SpecErrors errors, SpecContext context, CancellationToken cancellationToken)
    {
        if (!ModelZoo.All.Any(e => e.Id == spec.Model))
            errors.Add("model", $"one of {string.Join(", ", ModelZoo.All.Select(e => e.Id))}.");
        return Task.CompletedTask;
    }

    protected override Task<ZooInstallInput> ResolveAsync(ZooInstallSpec spec, JobRecord job, ResolveContext context, CancellationToken cancellationToken) =>
        Task.FromResult(new ZooInstallInput(spec.Model, context.CheckpointFor(job)));

    protected override (CheckpointInfo, OutputCheckpoint?) Run(ZooInstallInput input, WorkerContext context)
    {
        var info = ModelZoo.Install(input.Model, input.Output, new InlineProgress<ZooProgress>(p => context.Status.Report(p.Stage)));
        return (info, new OutputCheckpoint(input.Output, JsonSerializer.SerializeToElement(info, WebLabJson.Compact)));
    }
}
