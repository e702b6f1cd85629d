using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Access;

/// <summary>
/// What people may read: the endpoints, the hub and the pages read jobs, datasets and checkpoints through here, so
/// <see cref="AccessPolicy.MayRead"/> is applied in one place. A private thing someone else owns does not exist for
/// the caller (<see cref="NotFoundException"/>, 404), exactly like a thing that does not exist.
/// </summary>
public sealed class LabReads(JobStore jobs, DatasetStore datasets, CheckpointStore checkpoints)
{
    public async Task<JobRecord> JobAsync(string id, Caller caller, CancellationToken cancellationToken = default) =>
        await FindJobAsync(id, caller, cancellationToken) ?? throw new NotFoundException($"No job '{id}'.");

    /// <summary>The job when it exists and the caller may see it; otherwise null.</summary>
    public async Task<JobRecord?> FindJobAsync(string id, Caller caller, CancellationToken cancellationToken = default) =>
        await jobs.GetAsync(id, cancellationToken) is { } job && AccessPolicy.MayRead(caller, job.Owner, job.Visibility) ? job : null;

    public Task<IReadOnlyList<JobRecord>> JobsAsync(Caller caller, JobState? state = null, string? kind = null, string? owner = null, int limit = 200,
        CancellationToken cancellationToken = default) =>
        jobs.ListAsync(state, kind, owner, limit, caller, cancellationToken);

    public async Task<DatasetRecord> DatasetAsync(string id, Caller caller, CancellationToken cancellationToken = default) =>
        await FindDatasetAsync(id, caller, cancellationToken) ?? throw new NotFoundException($"No dataset '{id}'.");

    /// <summary>The dataset when it exists and the caller may see it; otherwise null.</summary>
    public async Task<DatasetRecord?> FindDatasetAsync(string id, Caller caller, CancellationToken cancellationToken = default) =>
        (Ids.IsValid(id, "ds") ? await datasets.GetAsync(id, cancellationToken) : null) is { } dataset
        && AccessPolicy.MayRead(caller, dataset.Owner, dataset.Visibility) ? dataset : null;

    public Task<IReadOnlyList<DatasetRecord>> DatasetsAsync(Caller caller, CancellationToken cancellationToken = default) =>
        datasets.ListAsync(caller, cancellationToken);

    /// <summary>A checkpoint by id or "demo", when the caller may see it.</summary>
    public async Task<CheckpointRecord> CheckpointAsync(string reference, Caller caller, CancellationToken cancellationToken = default) =>
        await checkpoints.FindAsync(reference, cancellationToken) is { } checkpoint && AccessPolicy.MayRead(caller, checkpoint.Owner, checkpoint.Visibility)
            ? checkpoint : throw new NotFoundException($"No checkpoint '{reference}'.");

    public Task<IReadOnlyList<CheckpointRecord>> CheckpointsAsync(Caller caller, CancellationToken cancellationToken = default) =>
        checkpoints.ListAsync(caller, cancellationToken);
}
