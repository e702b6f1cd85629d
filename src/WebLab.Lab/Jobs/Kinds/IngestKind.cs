using WebLab.Data;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>Ingest an uploaded dataset (queued by the upload that created it).</summary>
public sealed record IngestSpec(string DatasetId);

/// <summary>The worker's input for an ingest: where the files are and where thumbnails go.</summary>
public sealed record IngestInput(string Path, string ThumbnailDirectory);

/// <summary>Decodes every image of an upload, reports classes, counts, duplicates and problems, and makes thumbnails.</summary>
public sealed class IngestKind : JobKind<IngestSpec, IngestInput, DatasetManifest>
{
    public const string Id = "ingest";

    public override string Name => Id;

    public override string Lane => Lanes.Utility;

    public override TimeSpan DefaultDeadline => TimeSpan.FromHours(2);

    protected override async Task ValidateAsync(IngestSpec spec, SpecErrors errors, SpecContext context, CancellationToken cancellationToken)
    {
        if (!Ids.IsValid(spec.DatasetId, "ds"))
            errors.Add("datasetId", $"'{spec.DatasetId}' is not a dataset id.");
        else
            await context.References.DatasetAsync(spec.DatasetId, cancellationToken);
    }

    protected override async Task<IngestInput> ResolveAsync(IngestSpec spec, JobRecord job, ResolveContext context, CancellationToken cancellationToken)
    {
        var dataset = await context.References.DatasetAsync(spec.DatasetId, cancellationToken);
        return new IngestInput(dataset.Path, Path.Combine(context.Folder.DatasetFolder(dataset.Id), "thumbnails"));
    }

    protected override (DatasetManifest, OutputCheckpoint?) Run(IngestInput input, WorkerContext context) =>
        (DatasetReport.Build(input.Path, input.ThumbnailDirectory, status: context.Status, cancellationToken: context.Cancellation), null);

    public override Task RegisterOutputsAsync(OutputContext context, CancellationToken cancellationToken = default) =>
        context.Write.FinishIngestAsync(ReadSpec(context.Job).DatasetId, context.ResultJson, null, cancellationToken);

    public override Task OnFailedAsync(JobRecord job, string error, LabWrite write, CancellationToken cancellationToken = default) =>
        write.FinishIngestAsync(ReadSpec(job).DatasetId, null, error, cancellationToken);
}
