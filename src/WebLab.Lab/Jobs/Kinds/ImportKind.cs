using System.Text.Json;
using WebLab.Checkpoints;
using WebLab.Lab.Workers;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>Import a safetensors upload (queued by the import form or POST /api/checkpoints/import).</summary>
/// <param name="Upload">The uploaded file's name in the lab's uploads folder.</param>
public sealed record ImportSpec(string Upload, string Architecture, int InputSize, IReadOnlyList<string>? ClassNames,
    float[]? Mean, float[]? Std, string? Name, string? SourceDataset);

/// <summary>The worker's input for an import.</summary>
public sealed record ImportInput(ImportSpec Spec, string SafetensorsPath, string Output);

/// <summary>Checks every tensor of torchvision-layout safetensors weights and writes them as a WebLab checkpoint.</summary>
public sealed class ImportKind : JobKind<ImportSpec, ImportInput, CheckpointInfo>
{
    public const string Id = "import";

    public override string Name => Id;

    public override string Lane => Lanes.Utility;

    public override TimeSpan DefaultDeadline => TimeSpan.FromHours(1);

    protected override Task ValidateAsync(ImportSpec spec, SpecErrors errors, SpecContext context, CancellationToken cancellationToken)
    {
        if (!Models.Architectures.All.Any(a => a.Name == spec.Architecture))
            errors.Add("architecture", $"one of {string.Join(", ", Models.Architectures.All.Select(a => a.Name))}.");
        if (spec.InputSize is < 8 or > 1024)
            errors.Add("inputSize", "the input size the weights were trained at, 8..1024 (224 for torchvision ImageNet models).");
        return Task.CompletedTask;
    }

    protected override Task<ImportInput> ResolveAsync(ImportSpec spec, JobRecord job, ResolveContext context, CancellationToken cancellationToken) =>
        Task.FromResult(new ImportInput(spec, context.Folder.UploadFile(spec.Upload), context.CheckpointFor(job)));

    protected override (CheckpointInfo, OutputCheckpoint?) Run(ImportInput input, WorkerContext context)
    {
        var spec = input.Spec;
        var info = CheckpointImporter.Import(input.SafetensorsPath, input.Output,
            new ImportOptions(spec.Architecture, spec.InputSize, spec.ClassNames, spec.Mean, spec.Std, spec.Name, spec.SourceDataset));
        return (info, new OutputCheckpoint(input.Output, JsonSerializer.SerializeToElement(info, WebLabJson.Compact)));
    }
}
