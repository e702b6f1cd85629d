using System.Text.Json;
using WebLab.Data;
using WebLab.Lab.Catalog;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;
using WebLab.Training;

namespace WebLab.Lab.Jobs;

/// <summary>A job spec with field errors ("target" -> "unknown dataset ..."); the API answers 400 with them.</summary>
public sealed class SpecValidationException(IReadOnlyDictionary<string, string[]> errors)
    : BadInputException("The job spec is invalid: " + string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>
/// Checks what users submit and turns it into what workers run. Users name datasets and checkpoints by lab id
/// (ds_..., ckpt_...), catalogue id (fashion-mnist) or "demo" (the built-in source) - never by server path;
/// the server decides where outputs go and which device runs the job.
/// </summary>
public sealed class JobSpecs(DataFolder folder, DatasetStore datasets, CheckpointStore checkpoints)
{
    /// <summary>The name of the built-in demo source checkpoint in specs.</summary>
    public const string DemoSource = CheckpointStore.DemoAlias;

    /// <summary>Kinds users submit through the jobs API (ingest and import come from uploads).</summary>
    public static IReadOnlyList<string> Submittable { get; } = [JobKinds.Pretrain, JobKinds.Experiment, JobKinds.Sweep, JobKinds.Analyse];

    /// <summary>Validates a submitted spec and returns it normalised (compact JSON).</summary>
    public async Task<string> ValidateAsync(string kind, JsonElement spec, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
                errors[field] = list = [];
            list.Add(message);
        }

        if (!Submittable.Contains(kind))
        {
            Add("kind", $"'{kind}' cannot be submitted here; use one of {string.Join(", ", Submittable)} (datasets: POST /api/datasets, imports: POST /api/checkpoints/import).");
            throw Invalid(errors);
        }
        if (spec.ValueKind != JsonValueKind.Object)
        {
            Add("spec", "must be a JSON object.");
            throw Invalid(errors);
        }
        string normalised;
        try
        {
            switch (kind)
            {
                case JobKinds.Experiment:
                {
                    var experiment = Read<ExperimentSpec>(spec);
                    await CheckExperimentAsync(experiment, "", Add, cancellationToken);
                    normalised = Compact(experiment with { CheckpointPath = null });
                    break;
                }
                case JobKinds.Analyse:
                {
                    var analysis = Read<Transfer.AnalysisSpec>(spec);
                    foreach (var error in analysis.Validate())
                    {
                        var colon = error.IndexOf(':', StringComparison.Ordinal);
                        Add(error[..colon], error[(colon + 1)..].Trim());
                    }
                    if (!string.IsNullOrWhiteSpace(analysis.Target) && await DatasetErrorAsync(analysis.Target, cancellationToken) is { } targetError)
                        Add("target", targetError);
                    if (!string.IsNullOrWhiteSpace(analysis.Source) && await CheckpointErrorAsync(analysis.Source, cancellationToken) is { } sourceError)
                        Add("source", sourceError);
                    normalised = Compact(analysis);
                    break;
                }
                case JobKinds.Sweep:
                {
                    var sweep = Read<SweepSpec>(spec);
                    if (sweep.Base is null)
                        Add("base", "required: the experiment every point starts from.");
                    else
                        await CheckExperimentAsync(sweep.Base, "base.", Add, cancellationToken);
                    if (sweep.Axes is null || sweep.Axes.Count == 0)
                        Add("axes", "give at least one axis: { \"setting\": \"headLr\", \"values\": [\"0.01\", \"0.1\"] }.");
                    else if (sweep.Base is not null)
                    {
                        try
                        {
                            var points = sweep.Points();
                            if (points.Count > 200)
                                Add("axes", $"{points.Count} points; at most 200 per sweep.");
                        }
                        catch (BadInputException e)
                        {
                            Add("axes", e.Message);
                        }
                    }
                    normalised = Compact(sweep);
                    break;
                }
                default:
                {
                    var pretrain = Read<PretrainSpec>(spec);
                    if (await DatasetErrorAsync(pretrain.Dataset, cancellationToken) is { } datasetError)
                        Add("dataset", datasetError);
                    if (!Models.Architectures.All.Any(a => a.Name == pretrain.Architecture))
                        Add("architecture", $"unknown architecture '{pretrain.Architecture}'; known: {string.Join(", ", Models.Architectures.All.Select(a => a.Name))}.");
                    if (pretrain.Epochs is < 1 or > 1000)
                        Add("epochs", "must be 1..1000.");
                    if (pretrain.BatchSize is < 1 or > 4096)
                        Add("batchSize", "must be 1..4096.");
                    if (pretrain.LearningRate is <= 0 or > 10)
                        Add("learningRate", "must be in (0, 10].");
                    normalised = Compact(pretrain with { Output = "" });
                    break;
                }
            }
        }
        catch (BadInputException e) when (e is not SpecValidationException)
        {
            Add("spec", e.Message);
            throw Invalid(errors);
        }
        if (errors.Count > 0)
            throw Invalid(errors);
        return normalised;
    }

    private async Task CheckExperimentAsync(ExperimentSpec spec, string prefix, Action<string, string> add, CancellationToken cancellationToken)
    {
        foreach (var error in spec.Validate())
        {
            var colon = error.IndexOf(':', StringComparison.Ordinal);
            add(prefix + (colon > 0 ? error[..colon] : "spec"), colon > 0 ? error[(colon + 1)..].Trim() : error);
        }
        if (spec.PerClass is >= 1 and < Training.Experiment.MinPerClass)
            add(prefix + "perClass", $"must be at least {Training.Experiment.MinPerClass}: experiments refuse classes with fewer training images.");
        if (!string.IsNullOrWhiteSpace(spec.Target) && await DatasetErrorAsync(spec.Target, cancellationToken) is { } targetError)
            add(prefix + "target", targetError);
        if (!string.IsNullOrWhiteSpace(spec.Source) && await CheckpointErrorAsync(spec.Source, cancellationToken) is { } sourceError)
            add(prefix + "source", sourceError);
    }

    private async Task<string?> DatasetErrorAsync(string reference, CancellationToken cancellationToken)
    {
        if (Ids.IsValid(reference, "ds"))
        {
            var dataset = await datasets.GetAsync(reference, cancellationToken);
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

    private async Task<string?> CheckpointErrorAsync(string reference, CancellationToken cancellationToken)
    {
        if (reference == DemoSource)
            return await checkpoints.BuiltinAsync(cancellationToken) is null ? "the built-in demo source is still being pretrained; try again when its job has finished." : null;
        if (!Ids.IsValid(reference, "ckpt"))
            return $"'{reference}' is not a checkpoint id (ckpt_...) or \"{DemoSource}\".";
        return await checkpoints.GetAsync(reference, cancellationToken) is null ? $"no checkpoint '{reference}' in this lab." : null;
    }

    /// <summary>The worker's job: lab ids resolved to paths, outputs placed in the data folder, the slot's device.</summary>
    public async Task<WorkerJob> ResolveAsync(JobRecord job, string device, CancellationToken cancellationToken = default)
    {
        var output = folder.JobFolder(job.Id);
        Directory.CreateDirectory(output);
        object spec = job.Kind switch
        {
            JobKinds.Experiment => await ResolveExperimentAsync(Read<ExperimentSpec>(job.SpecJson), device, CheckpointFor(job.Id), cancellationToken),
            JobKinds.Sweep => await ResolveSweepAsync(Read<SweepSpec>(job.SpecJson), device, cancellationToken),
            JobKinds.Pretrain => await ResolvePretrainAsync(Read<PretrainSpec>(job.SpecJson), device, CheckpointFor(job.Id), cancellationToken),
            JobKinds.Ingest => Read<IngestSpec>(job.SpecJson),
            JobKinds.Import => Read<ImportSpec>(job.SpecJson) with { Output = CheckpointFor(job.Id) },
            JobKinds.Predict => Read<PredictSpec>(job.SpecJson),
            JobKinds.Analyse => await ResolveAnalysisAsync(Read<Transfer.AnalysisSpec>(job.SpecJson), device, cancellationToken),
            _ => throw new BadInputException($"Unknown job kind '{job.Kind}'."),
        };
        return new WorkerJob(job.Id, job.Kind, device, output, JsonSerializer.SerializeToElement(spec, spec.GetType(), WebLabJson.Compact));
    }

    /// <summary>Where a job's checkpoint goes: the checkpoint id is derived from the job id, so a retry overwrites, never duplicates.</summary>
    public string CheckpointFor(string jobId) => folder.CheckpointFile(CheckpointIdFor(jobId));

    public static string CheckpointIdFor(string jobId) => "ckpt_" + jobId[(jobId.IndexOf('_', StringComparison.Ordinal) + 1)..];

    private async Task<ExperimentSpec> ResolveExperimentAsync(ExperimentSpec spec, string device, string? checkpoint, CancellationToken cancellationToken) =>
        spec with
        {
            Target = await DatasetPathAsync(spec.Target, cancellationToken),
            Source = await CheckpointPathAsync(spec.Source, cancellationToken),
            Device = device,
            CheckpointPath = checkpoint,
        };

    private async Task<Transfer.AnalysisSpec> ResolveAnalysisAsync(Transfer.AnalysisSpec spec, string device, CancellationToken cancellationToken) =>
        spec with
        {
            Target = await DatasetPathAsync(spec.Target, cancellationToken),
            Source = await CheckpointPathAsync(spec.Source, cancellationToken),
            Device = device,
        };

    private async Task<SweepSpec> ResolveSweepAsync(SweepSpec spec, string device, CancellationToken cancellationToken) =>
        spec with { Base = await ResolveExperimentAsync(spec.Base, device, null, cancellationToken) };

    private async Task<PretrainSpec> ResolvePretrainAsync(PretrainSpec spec, string device, string output, CancellationToken cancellationToken) =>
        spec with { Dataset = await DatasetPathAsync(spec.Dataset, cancellationToken), Device = device, Output = output };

    private async Task<string> DatasetPathAsync(string reference, CancellationToken cancellationToken)
    {
        if (await DatasetErrorAsync(reference, cancellationToken) is { } error)
            throw new BadInputException(error);
        return Ids.IsValid(reference, "ds") ? (await datasets.GetAsync(reference, cancellationToken))!.Path : reference;
    }

    private async Task<string> CheckpointPathAsync(string reference, CancellationToken cancellationToken)
    {
        var record = await checkpoints.FindAsync(reference, cancellationToken);
        return record?.Path ?? throw new BadInputException(await CheckpointErrorAsync(reference, cancellationToken) ?? $"no checkpoint '{reference}'.");
    }

    /// <summary>The lab checkpoint id a spec's source names (for lineage), or null.</summary>
    public async Task<string?> SourceCheckpointIdAsync(string reference, CancellationToken cancellationToken = default) =>
        (await checkpoints.FindAsync(reference, cancellationToken))?.Id;

    private static T Read<T>(JsonElement element) => Read<T>(element.GetRawText());

    private static T Read<T>(string json) => WebLabJson.Deserialize<T>(json, "spec");

    private static string Compact<T>(T value) => JsonSerializer.Serialize(value, WebLabJson.Compact);

    private static SpecValidationException Invalid(Dictionary<string, List<string>> errors) =>
        new(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
}
