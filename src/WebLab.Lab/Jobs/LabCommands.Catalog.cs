using System.Globalization;
using WebLab.Lab.Access;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Jobs;

/// <summary>Datasets and checkpoints: uploads, imports, deletes and "try it" (see <see cref="LabCommands"/>).</summary>
public sealed partial class LabCommands
{
    /// <summary>Largest image "try it" accepts.</summary>
    public const long MaxPredictImageBytes = 20L << 20;

    /// <summary>
    /// Starts a dataset upload: stream its files in with <see cref="DatasetUpload.AddAsync"/>, then accept it. Who may
    /// upload, and whether <paramref name="declaredBytes"/> fit their storage quota, is decided before a byte arrives.
    /// </summary>
    public async Task<DatasetUpload> BeginDatasetUploadAsync(Caller caller, long declaredBytes, CancellationToken cancellationToken = default)
    {
        limits.Upload(caller);
        if (AccessPolicy.SubmitRefusal(caller, IngestKind.Id) is { } refusal)
            throw new ForbiddenException(refusal);
        await quotas.CheckUploadAsync(caller, declaredBytes, cancellationToken);
        return new DatasetUpload(folder, Ids.New("ds", folder.Time), options.Value.MaxUploadBytes);
    }

    /// <summary>Checks the staged files, moves them into the dataset's folder, records it and queues its ingest job.</summary>
    public async Task<(DatasetRecord Dataset, JobRecord Job)> AcceptDatasetAsync(DatasetUpload upload, string? name, Caller caller,
        Visibility visibility = Visibility.Group, CancellationToken cancellationToken = default)
    {
        if (AccessPolicy.SubmitRefusal(caller, IngestKind.Id) is { } refusal)
            throw new ForbiddenException(refusal);
        // Checked again with what arrived (a body may not say its length); before the files move, so a refusal keeps nothing.
        await quotas.CheckUploadAsync(caller, upload.Bytes, cancellationToken);
        var (source, path, fileName) = upload.Arrange();
        var final = folder.DatasetFolder(upload.Id);
        Directory.Move(upload.Staging, final);
        var record = new DatasetRecord
        {
            Id = upload.Id,
            Name = string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(fileName) : name.Trim(),
            Owner = caller.Name,
            Source = source,
            State = DatasetStore.Ingesting,
            Path = Path.Combine(final, path),
            CreatedAt = folder.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            Visibility = visibility,
        };
        await datasets.AddAsync(record, cancellationToken: cancellationToken);
        var (job, _) = await SubmitAsync(JobKinds.Of<IngestKind>(), new IngestSpec(record.Id), caller, $"Ingest {record.Name}",
            visibility: visibility, cancellationToken: cancellationToken);
        await datasets.SetJobAsync(record.Id, job.Id, cancellationToken);
        return (record with { JobId = job.Id }, job);
    }

    /// <summary>Deletes a dataset and its files (its owner or an admin).</summary>
    public async Task DeleteDatasetAsync(string id, Caller caller, CancellationToken cancellationToken = default)
    {
        var dataset = await reads.DatasetAsync(id, caller, cancellationToken);
        if (!AccessPolicy.MayChange(caller, dataset.Owner))
            throw new ForbiddenException($"Dataset '{id}' belongs to '{dataset.Owner}'; only they can delete it (you are '{caller.Name}').");
        if (await datasets.DeleteAsync(id, cancellationToken))
            folder.DeleteOwned(folder.DatasetFolder(id));
    }

    /// <summary>
    /// Validates the fields, streams the file into the uploads folder (size limit, atomic), checks its safetensors header
    /// and queues the import job that validates every tensor.
    /// </summary>
    public async Task<JobRecord> ImportCheckpointAsync(Stream file, string fileName, CheckpointImportFields fields, Caller caller,
        long declaredBytes, CancellationToken cancellationToken = default)
    {
        limits.Upload(caller);
        if (AccessPolicy.SubmitRefusal(caller, ImportKind.Id) is { } refusal)
            throw new ForbiddenException(refusal);
        await quotas.CheckStorageAsync(caller, declaredBytes, cancellationToken);
        var errors = fields.Validate();
        if (errors.Count > 0)
            throw new SpecValidationException(errors);
        var uploadName = folder.NewUploadName(".safetensors");
        var upload = folder.UploadFile(uploadName);
        await folder.WriteAtomicAsync(file, upload, options.Value.MaxCheckpointBytes, cancellationToken);
        try
        {
            CheckpointImportFields.CheckHeader(upload, fileName);
            await quotas.CheckStorageAsync(caller, new FileInfo(upload).Length, cancellationToken);
            var spec = fields.ToSpec(uploadName, fileName);
            var (job, _) = await SubmitAsync(JobKinds.Of<ImportKind>(), spec, caller, $"Import {spec.Name}",
                visibility: fields.Private ? Visibility.Private : Visibility.Group, cancellationToken: cancellationToken);
            return job;
        }
        catch
        {
            File.Delete(upload);
            throw;
        }
    }

    /// <summary>Deletes a checkpoint and its file: its owner or an admin; a built-in one, only an admin.</summary>
    public async Task DeleteCheckpointAsync(string id, Caller caller, CancellationToken cancellationToken = default)
    {
        var checkpoint = await reads.CheckpointAsync(id, caller, cancellationToken);
        if (checkpoint.Builtin ? !caller.IsAdmin : !AccessPolicy.MayChange(caller, checkpoint.Owner))
            throw new ForbiddenException(checkpoint.Builtin ? $"'{checkpoint.Name}' is built in; only an admin can delete it."
                : $"Checkpoint '{checkpoint.Id}' belongs to '{checkpoint.Owner}'; only they can delete it (you are '{caller.Name}').");
        if (await checkpoints.DeleteAsync(checkpoint.Id, cancellationToken))
            folder.DeleteOwned(checkpoint.Path);
    }

    /// <summary>
    /// "Try it": one image through a checkpoint. The image is decoded and the model run in a utility worker (libtorch
    /// never loads in the web process); this waits for that short job and returns its answer.
    /// </summary>
    public async Task<Prediction> PredictAsync(string checkpointId, Stream image, string imageName, Caller caller,
        CancellationToken cancellationToken = default)
    {
        limits.Upload(caller);
        var checkpoint = await reads.CheckpointAsync(checkpointId, caller, cancellationToken);
        // Answered here, before any upload or worker: a feature extractor has no classes to name.
        if (!WebLabJson.Deserialize<Checkpoints.CheckpointInfo>(checkpoint.InfoJson, "checkpoint metadata").HasHead)
            throw new BadInputException($"{checkpoint.Name} has no classifier head, so it cannot name classes; use it as a source for an experiment.");
        var upload = folder.NewUploadName(imageName);
        var path = folder.UploadFile(upload);
        await folder.WriteAtomicAsync(image, path, MaxPredictImageBytes, cancellationToken);
        try
        {
            var kind = JobKinds.Of<PredictKind>();
            var (job, _) = await SubmitAsync(kind, new PredictSpec(checkpoint.Id, upload, Path.GetFileName(imageName)), caller,
                $"Try {checkpoint.Name}", cancellationToken: cancellationToken);
            var done = await events.FinishedAsync(job.Id, jobs, TimeSpan.FromMinutes(2), cancellationToken);
            if (done is { State: JobState.Succeeded } && kind.ReadResult(done) is { } prediction)
                return prediction;
            if (done is not null)
                throw new BadInputException(done.Error ?? $"The prediction job {done.State.Label()}.");
            await runner.CancelAsync(job.Id, "prediction timed out", CancellationToken.None);
            throw new TimeoutException("The prediction did not finish within 2 minutes; the lab may be busy. Try again.");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
