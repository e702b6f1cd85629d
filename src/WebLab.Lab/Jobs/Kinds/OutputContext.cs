using System.Globalization;
using WebLab.Lab.Catalog;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>What a kind sees when its job has succeeded: the job, the worker's result and the unit of work it commits in.</summary>
public sealed record OutputContext(JobRecord Job, WorkerResult Result, LabWrite Write, LabReferences References, DataFolder Folder, TimeProvider Time)
{
    /// <summary>The worker's result as it is stored: no data-folder path in it (<see cref="DataFolder.HidePaths"/>).</summary>
    public string ResultJson => Folder.HidePaths(Result.Result.GetRawText());

    /// <summary>Registers the checkpoint the worker wrote (if it wrote one inside the data folder), owned by the job's owner.</summary>
    public async Task AddCheckpointAsync(string? parentId, CancellationToken cancellationToken)
    {
        if (Result.Checkpoint is not { } checkpoint || !File.Exists(checkpoint.Path) || !Folder.Contains(checkpoint.Path))
            return;
        var info = WebLabJson.Deserialize<Checkpoints.CheckpointInfo>(checkpoint.Info.GetRawText(), "checkpoint metadata");
        await Write.AddCheckpointAsync(new CheckpointRecord
        {
            Id = Path.GetFileNameWithoutExtension(checkpoint.Path),
            Name = info.Name ?? Job.Name,
            Owner = Job.Owner,
            Path = checkpoint.Path,
            InfoJson = Folder.HidePaths(checkpoint.Info.GetRawText()),
            ParentId = parentId,
            JobId = Job.Id,
            Builtin = LabBootstrap.IsBuiltinSourceJob(Job),
            CreatedAt = Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            Visibility = Job.Visibility, // a private run's model is as private as the run
        }, cancellationToken);
    }
}
