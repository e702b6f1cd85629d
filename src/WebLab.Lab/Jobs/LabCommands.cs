using System.Text.Json;
using Microsoft.Extensions.Options;
using WebLab.Lab.Access;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Jobs;

/// <summary>The lab says no, and why (nothing was stored): the API answers with its status code, the pages show its message.</summary>
public abstract class RefusedException(string message) : Exception(message);

/// <summary>A request names something that is not there (HTTP 404).</summary>
public sealed class NotFoundException(string message) : RefusedException(message);

/// <summary>The caller may not do this to someone else's thing (HTTP 403).</summary>
public sealed class ForbiddenException(string message) : RefusedException(message);

/// <summary>The thing is not in a state that allows this (HTTP 409).</summary>
public sealed class ConflictException(string message) : RefusedException(message);

/// <summary>Too many requests of this kind from this person just now (HTTP 429).</summary>
public sealed class RateLimitedException(string message) : RefusedException(message);

/// <summary>A queued job and what the submitter should know about its spec.</summary>
/// <param name="Created">False when an earlier submission with the same idempotency key is returned instead.</param>
/// <param name="Warnings">Advice on a valid spec (e.g. one seed gives the gap no interval).</param>
public sealed record Submitted(JobRecord Job, bool Created, IReadOnlyList<string> Warnings)
{
    public void Deconstruct(out JobRecord job, out bool created)
    {
        job = Job;
        created = Created;
    }
}

/// <summary>
/// Everything people ask the lab to do: submit, cancel, stop and delete jobs; upload and delete datasets; import and
/// delete checkpoints; try a checkpoint on an image. The HTTP endpoints and the pages both come here, so every path
/// validates the same way (through the job's kind) and asks <see cref="AccessPolicy"/> the same question.
/// </summary>
public sealed partial class LabCommands(JobRunner runner, JobStore jobs, LabReads reads, LabReferences references, DataFolder folder,
    DatasetStore datasets, CheckpointStore checkpoints, LabEvents events, Quotas quotas, PersonLimits limits, IOptions<LabOptions> options)
{
    /// <summary>"Cancel your own": the job's owner (or an admin) cancels, stops or deletes it.</summary>
    public static bool MayControl(Caller caller, JobRecord job) => AccessPolicy.MayChange(caller, job.Owner);

    /// <summary>A request from outside (POST /api/jobs, forms): only kinds people may submit directly.</summary>
    public Task<Submitted> SubmitRequestAsync(string? kind, JsonElement spec, Caller caller, string? name = null, int priority = 0,
        string? idempotencyKey = null, Visibility visibility = Visibility.Group, CancellationToken cancellationToken = default)
    {
        if (kind is null || JobKinds.Find(kind) is not { Submittable: true } found)
            throw SpecValidationException.For("kind",
                $"'{kind}' cannot be submitted here; use one of {string.Join(", ", JobKinds.Submittable.Select(k => k.Name))} " +
                "(datasets: POST /api/datasets, imports: POST /api/checkpoints/import).");
        return SubmitAsync(found, spec, caller, name, priority, idempotencyKey, visibility, cancellationToken);
    }

    /// <summary>Validates <paramref name="spec"/> through its kind and queues the job.</summary>
    /// <param name="idempotencyKey">The owner's key: a second submission with it returns the first job.</param>
    public async Task<Submitted> SubmitAsync(JobKind kind, JsonElement spec, Caller caller, string? name = null, int priority = 0,
        string? idempotencyKey = null, Visibility visibility = Visibility.Group, CancellationToken cancellationToken = default)
    {
        limits.Submission(caller);
        if (AccessPolicy.SubmitRefusal(caller, kind.Name) is { } refusal)
            throw new ForbiddenException(refusal);
        if (priority is < -10 or > 10)
            throw SpecValidationException.For("priority", "must be -10..10.");
        if (!AccessPolicy.MaySetPriority(caller, priority))
            throw SpecValidationException.For("priority", "above 0 is for admins (it outranks the fair order); use 0 or below.");
        var seen = references.As(caller);
        var normalised = await kind.ValidateAsync(spec, new SpecContext(seen, options.Value.Limits), cancellationToken);
        // A job on private inputs would show their contents (images, results, weights) to the group: it is private too.
        if (seen.UsesPrivate)
            visibility = Visibility.Private;
        await quotas.CheckSubmitAsync(caller, kind.Name, cancellationToken);
        var title = string.IsNullOrWhiteSpace(name) ? DefaultName(kind, spec) : name.Trim();
        var (job, created) = await runner.SubmitAsync(new JobSubmission(kind.Name, caller.Name, title, normalised, priority,
            idempotencyKey is null ? null : $"{caller.Name}:{idempotencyKey}", visibility), cancellationToken);
        return new Submitted(job, created, kind.Warnings(normalised));
    }

    /// <summary>Typed form of <see cref="SubmitAsync(JobKind, JsonElement, Caller, string?, int, string?, Visibility, CancellationToken)"/>.</summary>
    public Task<Submitted> SubmitAsync<TSpec>(JobKind kind, TSpec spec, Caller caller, string? name = null, int priority = 0,
        string? idempotencyKey = null, Visibility visibility = Visibility.Group, CancellationToken cancellationToken = default) =>
        SubmitAsync(kind, JsonSerializer.SerializeToElement(spec, WebLabJson.Compact), caller, name, priority, idempotencyKey, visibility, cancellationToken);

    public async Task<JobRecord> CancelAsync(string id, Caller caller, CancellationToken cancellationToken = default)
    {
        var job = await YoursAsync(id, caller, "cancel", cancellationToken);
        if (job.IsFinished)
            throw new ConflictException($"Job '{id}' has already finished ({job.State.Label()}).");
        await runner.CancelAsync(id, $"cancelled by {caller.Name}", cancellationToken);
        return (await jobs.GetAsync(id, cancellationToken))!;
    }

    /// <summary>Asks a running experiment or sweep to finish early, keeping its best model so far.</summary>
    public async Task<JobRecord> StopAsync(string id, Caller caller, CancellationToken cancellationToken = default)
    {
        var job = await YoursAsync(id, caller, "stop", cancellationToken);
        if (job.State != JobState.Running || !runner.Stop(id))
            throw new ConflictException($"Job '{id}' is not running; only a running job can be stopped early.");
        return job;
    }

    /// <summary>Deletes a finished job, its history and its files (its checkpoints live on in the zoo).</summary>
    public async Task DeleteAsync(string id, Caller caller, CancellationToken cancellationToken = default)
    {
        var job = await YoursAsync(id, caller, "delete", cancellationToken);
        if (!job.IsFinished)
            throw new ConflictException($"Job '{id}' is {job.State.Label()}; cancel it first.");
        if (await jobs.DeleteAsync(id, cancellationToken))
            folder.DeleteOwned(folder.JobFolder(id));
    }

    private async Task<JobRecord> YoursAsync(string id, Caller caller, string action, CancellationToken cancellationToken)
    {
        var job = await jobs.GetAsync(id, cancellationToken) is { } found && AccessPolicy.MayRead(caller, found.Owner, found.Visibility) ? found
            : throw new NotFoundException($"No job '{id}'.");
        return MayControl(caller, job) ? job
            : throw new ForbiddenException($"Job '{job.Id}' belongs to '{job.Owner}'; only they can {action} it (you are '{caller.Name}').");
    }

    private static string DefaultName(JobKind kind, JsonElement spec) =>
        spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
        && !string.IsNullOrWhiteSpace(name.GetString()) ? name.GetString()! : kind.Name;
}
