using WebLab.Data;
using WebLab.Lab.Access;
using WebLab.Lab.Catalog;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>
/// How specs name things: datasets by lab id (ds_...) or catalogue id (fashion-mnist), checkpoints by lab id (ckpt_...)
/// or "demo" (the built-in source) - never by server path. Checks such names for submitters and resolves them to
/// paths for workers.
/// </summary>
public sealed class LabReferences(DatasetStore datasets, CheckpointStore checkpoints)
{
    private Caller? _viewer;

    /// <summary>
    /// The same references as <paramref name="caller"/> sees them at submission: someone else's private dataset or
    /// checkpoint is "not in this lab" (workers resolve with the unrestricted instance).
    /// </summary>
    public LabReferences As(Caller caller) => new(datasets, checkpoints) { _viewer = caller };

    /// <summary>True once a checked reference was a private dataset or checkpoint: what is made from it must be private too.</summary>
    public bool UsesPrivate { get; private set; }

    private bool Visible(string owner, Visibility visibility)
    {
        var visible = _viewer is null || AccessPolicy.MayRead(_viewer, owner, visibility);
        UsesPrivate |= visible && visibility == Visibility.Private;
        return visible;
    }

    /// <summary>The name of the built-in demo source checkpoint in specs.</summary>
    public const string DemoSource = CheckpointStore.DemoAlias;

    /// <summary>Why <paramref name="reference"/> cannot be trained on now, or null when it can.</summary>
    public async Task<string?> DatasetErrorAsync(string reference, CancellationToken cancellationToken)
    {
        if (Ids.IsValid(reference, "ds"))
        {
            var dataset = await datasets.GetAsync(reference, cancellationToken) is { } found && Visible(found.Owner, found.Visibility) ? found : null;
            return dataset switch
            {
                null => $"no dataset '{reference}' in this lab.",
                { State: DatasetStore.Ready } => null,
                { State: DatasetStore.Ingesting } => $"dataset '{reference}' is still being ingested; submit once it is ready.",
                _ => $"dataset '{reference}' failed ingest: {dataset.Error}",
            };
        }
        if (DatasetCatalog.BuiltIn.Find(reference) is { } entry)
            return entry.Readable ? null : $"'{entry.Id}' is in the catalogue but cannot be read directly ({entry.Obtain.Manual ?? "manual download"}); upload it as a zip of class folders.";
        return $"'{reference}' is neither a dataset of this lab (ds_...) nor a readable catalogue id ({string.Join(", ", DatasetCatalog.BuiltIn.Entries.Where(e => e.Readable).Select(e => e.Id))}).";
    }

    /// <summary>Why <paramref name="reference"/> cannot be used as a source now, or null when it can.</summary>
    public async Task<string?> CheckpointErrorAsync(string reference, CancellationToken cancellationToken)
    {
        if (reference == DemoSource)
            return await checkpoints.BuiltinAsync(cancellationToken) is null ? "the built-in demo source is still being pretrained; try again when its job has finished." : null;
        if (!Ids.IsValid(reference, "ckpt"))
            return $"'{reference}' is not a checkpoint id (ckpt_...) or \"{DemoSource}\".";
        return await checkpoints.GetAsync(reference, cancellationToken) is { } found && Visible(found.Owner, found.Visibility) ? null
            : $"no checkpoint '{reference}' in this lab.";
    }

    /// <summary>Adds the dataset's error, if any, at <paramref name="field"/>.</summary>
    public async Task CheckDatasetAsync(string? reference, string field, SpecErrors errors, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(reference) && await DatasetErrorAsync(reference, cancellationToken) is { } error)
            errors.Add(field, error);
    }

    /// <summary>Adds the checkpoint's error, if any, at <paramref name="field"/>.</summary>
    public async Task CheckCheckpointAsync(string? reference, string field, SpecErrors errors, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(reference) && await CheckpointErrorAsync(reference, cancellationToken) is { } error)
            errors.Add(field, error);
    }

    /// <summary>The path a worker reads the dataset from (a catalogue id stays an id: workers know the catalogue).</summary>
    public async Task<string> DatasetPathAsync(string reference, CancellationToken cancellationToken)
    {
        if (await DatasetErrorAsync(reference, cancellationToken) is { } error)
            throw new BadInputException(error);
        return Ids.IsValid(reference, "ds") ? (await datasets.GetAsync(reference, cancellationToken))!.Path : reference;
    }

    /// <summary>The checkpoint's file.</summary>
    public async Task<string> CheckpointPathAsync(string reference, CancellationToken cancellationToken) =>
        (await CheckpointAsync(reference, cancellationToken)).Path;

    /// <summary>The checkpoint's record.</summary>
    public async Task<CheckpointRecord> CheckpointAsync(string reference, CancellationToken cancellationToken) =>
        await checkpoints.FindAsync(reference, cancellationToken)
        ?? throw new BadInputException(await CheckpointErrorAsync(reference, cancellationToken) ?? $"no checkpoint '{reference}'.");

    /// <summary>The lab checkpoint id a spec's source names (for lineage), or null.</summary>
    public async Task<string?> CheckpointIdAsync(string reference, CancellationToken cancellationToken) =>
        (await checkpoints.FindAsync(reference, cancellationToken))?.Id;

    /// <summary>The dataset's record.</summary>
    public async Task<DatasetRecord> DatasetAsync(string id, CancellationToken cancellationToken) =>
        await datasets.GetAsync(id, cancellationToken) ?? throw new BadInputException($"no dataset '{id}' in this lab.");
}
