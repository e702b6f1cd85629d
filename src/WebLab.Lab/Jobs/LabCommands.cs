using System.Text.Json;
using Microsoft.Extensions.Options;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Jobs;

/// <summary>A request names something that is not there (HTTP 404).</summary>
public sealed class NotFoundException(string message) : Exception(message);

/// <summary>The caller may not do this to someone else's job (HTTP 403).</summary>
public sealed class ForbiddenException(string message) : Exception(message);

/// <summary>The job is not in a state that allows this (HTTP 409).</summary>
public sealed class ConflictException(string message) : Exception(message);

/// <summary>
/// Everything people ask the lab to do to jobs: submit, cancel, stop, delete. The HTTP endpoints and the pages both
/// come here, so every path validates a spec the same way (through its kind) and the ownership rule lives in one place.
/// </summary>
public sealed class LabCommands(JobRunner runner, JobStore jobs, LabReferences references, DataFolder folder, IOptions<LabOptions> options)
{
    /// <summary>"Cancel your own": only a job's owner cancels, stops or deletes it (the lab's own jobs belong to no visitor).</summary>
    public static bool MayControl(string user, JobRecord job) => string.Equals(user, job.Owner, StringComparison.Ordinal);

    /// <summary>A request from outside (POST /api/jobs, forms): only kinds people may submit directly.</summary>
    public Task<(JobRecord Job, bool Created)> SubmitRequestAsync(string? kind, JsonElement spec, string owner, string? name = null, int priority = 0,
        string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        if (kind is null || JobKinds.Find(kind) is not { Submittable: true } found)
            throw SpecValidationException.For("kind",
                $"'{kind}' cannot be submitted here; use one of {string.Join(", ", JobKinds.Submittable.Select(k => k.Name))} " +
                "(datasets: POST /api/datasets, imports: POST /api/checkpoints/import).");
        return SubmitAsync(found, spec, owner, name, priority, idempotencyKey, cancellationToken);
    }

    /// <summary>Validates <paramref name="spec"/> through its kind and queues the job.</summary>
    /// <param name="idempotencyKey">The owner's key: a second submission with it returns the first job.</param>
    public async Task<(JobRecord Job, bool Created)> SubmitAsync(JobKind kind, JsonElement spec, string owner, string? name = null, int priority = 0,
        string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        if (priority is < -10 or > 10)
            throw SpecValidationException.For("priority", "must be -10..10.");
        var normalised = await kind.ValidateAsync(spec, new SpecContext(references, options.Value.Limits), cancellationToken);
        var title = string.IsNullOrWhiteSpace(name) ? DefaultName(kind, spec) : name.Trim();
        return await runner.SubmitAsync(new JobSubmission(kind.Name, owner, title, normalised, priority,
            idempotencyKey is null ? null : $"{owner}:{idempotencyKey}"), cancellationToken);
    }

    /// <summary>Typed form of <see cref="SubmitAsync(JobKind, JsonElement, string, string?, int, string?, CancellationToken)"/>.</summary>
    public Task<(JobRecord Job, bool Created)> SubmitAsync<TSpec>(JobKind kind, TSpec spec, string owner, string? name = null, int priority = 0,
        string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(kind, JsonSerializer.SerializeToElement(spec, WebLabJson.Compact), owner, name, priority, idempotencyKey, cancellationToken);

    public async Task<JobRecord> CancelAsync(string id, string user, CancellationToken cancellationToken = default)
    {
        var job = await YoursAsync(id, user, "cancel", cancellationToken);
        if (job.IsFinished)
            throw new ConflictException($"Job '{id}' has already finished ({job.State.ToString().ToLowerInvariant()}).");
        await runner.CancelAsync(id, $"cancelled by {user}", cancellationToken);
        return (await jobs.GetAsync(id, cancellationToken))!;
    }

    /// <summary>Asks a running experiment or sweep to finish early, keeping its best model so far.</summary>
    public async Task<JobRecord> StopAsync(string id, string user, CancellationToken cancellationToken = default)
    {
        var job = await YoursAsync(id, user, "stop", cancellationToken);
        if (job.State != JobState.Running || !runner.Stop(id))
            throw new ConflictException($"Job '{id}' is not running; only a running job can be stopped early.");
        return job;
    }

    /// <summary>Deletes a finished job, its history and its files (its checkpoints live on in the zoo).</summary>
    public async Task DeleteAsync(string id, string user, CancellationToken cancellationToken = default)
    {
        var job = await YoursAsync(id, user, "delete", cancellationToken);
        if (!job.IsFinished)
            throw new ConflictException($"Job '{id}' is {job.State.ToString().ToLowerInvariant()}; cancel it first.");
        if (await jobs.DeleteAsync(id, cancellationToken))
            folder.DeleteOwned(folder.JobFolder(id));
    }

    private async Task<JobRecord> YoursAsync(string id, string user, string action, CancellationToken cancellationToken)
    {
        var job = await jobs.GetAsync(id, cancellationToken) ?? throw new NotFoundException($"No job '{id}'.");
        return MayControl(user, job) ? job
            : throw new ForbiddenException($"Job '{job.Id}' belongs to '{job.Owner}'; only they can {action} it (you are '{user}').");
    }

    private static string DefaultName(JobKind kind, JsonElement spec) =>
        spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
        && !string.IsNullOrWhiteSpace(name.GetString()) ? name.GetString()! : kind.Name;
}
