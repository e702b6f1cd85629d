using System.Text.Json;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;
using WebLab.Runtime;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>
/// What a kind of job is, in one place: its spec and how it is validated, its lane, how the host turns lab ids into
/// the worker's input, what the worker does with that input, its result, and how its outputs are registered. The
/// runner, the worker and the API only ever talk to this class; <see cref="JobKinds"/> lists every kind.
/// </summary>
public abstract class JobKind
{
    /// <summary>The name stored in the jobs table and used in the API ("experiment").</summary>
    public abstract string Name { get; }

    /// <summary>Which worker slots run it (<see cref="Lanes"/>).</summary>
    public abstract string Lane { get; }

    /// <summary>How long one of its jobs may run, wall clock from its first start, unless <see cref="JobLimits.Deadlines"/> says otherwise.</summary>
    public virtual TimeSpan DefaultDeadline => TimeSpan.FromHours(12);

    /// <summary>True when a utility slot may run it on a GPU whose training slot is idle (quick inference: predict, analyse).</summary>
    public virtual bool MayBorrowGpu => false;

    /// <summary>True when POST /api/jobs takes it; uploads, imports and predictions arrive with their files instead.</summary>
    public virtual bool Submittable => false;

    /// <summary>Checks a submitted spec; returns it normalised (compact JSON) or throws <see cref="SpecValidationException"/>.</summary>
    public abstract Task<string> ValidateAsync(JsonElement spec, SpecContext context, CancellationToken cancellationToken = default);

    /// <summary>Advice on a valid, normalised spec that will run but may not answer its question (e.g. one seed: no interval).</summary>
    public virtual IReadOnlyList<string> Warnings(string normalisedSpec) => [];

    /// <summary>On the host, when a slot claims the job: the worker's input (lab ids resolved to paths, outputs placed).</summary>
    public abstract Task<JsonElement> ResolveAsync(JobRecord job, ResolveContext context, CancellationToken cancellationToken = default);

    /// <summary>In the worker process: runs the resolved input and returns the result message.</summary>
    public abstract WorkerResult Run(JsonElement input, WorkerContext context);

    /// <summary>
    /// How many independent tasks the worker input splits into where an executor runs job arrays (a sweep's points on
    /// Slurm); 1: the job runs as one worker.
    /// </summary>
    public virtual int Tasks(JsonElement input) => 1;

    /// <summary>The job's result from its tasks' results, in task order (only kinds with <see cref="Tasks"/> above 1).</summary>
    public virtual WorkerResult Combine(JsonElement input, IReadOnlyList<WorkerResult> tasks) =>
        throw new InvalidOperationException($"{Name} jobs do not run as arrays");

    /// <summary>On the host, in the transaction that marks the job Succeeded: registers what the job produced.</summary>
    public virtual Task RegisterOutputsAsync(OutputContext context, CancellationToken cancellationToken = default) =>
        context.AddCheckpointAsync(parentId: null, cancellationToken);

    /// <summary>On the host, when the job has failed for good (no attempts left, or bad input).</summary>
    public virtual Task OnFailedAsync(JobRecord job, string error, LabWrite write, CancellationToken cancellationToken = default) =>
        Task.CompletedTask;
}

/// <summary>
/// A kind with typed spec, worker input and result: the JSON plumbing is here, so a kind only writes its own rules.
/// </summary>
public abstract class JobKind<TSpec, TInput, TResult> : JobKind
{
    public sealed override async Task<string> ValidateAsync(JsonElement spec, SpecContext context, CancellationToken cancellationToken = default)
    {
        var errors = new SpecErrors("spec");
        if (spec.ValueKind != JsonValueKind.Object)
        {
            errors.Add("", "must be a JSON object.");
            throw errors.Exception();
        }
        TSpec typed;
        try
        {
            typed = WebLabJson.Deserialize<TSpec>(spec.GetRawText(), "spec");
        }
        catch (BadInputException e)
        {
            errors.Add("", e.Message);
            throw errors.Exception();
        }
        var (field, requested) = RequestedDevice(typed);
        if (DeviceChoice.Problem(requested) is { } device)
            errors.Add(field, device);
        await ValidateAsync(typed, errors, context, cancellationToken);
        errors.ThrowIfAny();
        return JsonSerializer.Serialize(Normalise(typed), WebLabJson.Compact);
    }

    public sealed override async Task<JsonElement> ResolveAsync(JobRecord job, ResolveContext context, CancellationToken cancellationToken = default) =>
        JsonSerializer.SerializeToElement(await ResolveAsync(ReadSpec(job), job, context, cancellationToken), WebLabJson.Compact);

    public sealed override WorkerResult Run(JsonElement input, WorkerContext context)
    {
        var (result, checkpoint) = Run(WebLabJson.Deserialize<TInput>(input.GetRawText(), $"{Name} input of {context.JobId}"), context);
        return new WorkerResult(JsonSerializer.SerializeToElement(result, WebLabJson.Compact), checkpoint);
    }

    public sealed override int Tasks(JsonElement input) => Tasks(ReadInput(input, "input"));

    public sealed override WorkerResult Combine(JsonElement input, IReadOnlyList<WorkerResult> tasks)
    {
        var results = tasks.Select(t => WebLabJson.Deserialize<TResult>(t.Result.GetRawText(), $"{Name} task result")).ToList();
        return new WorkerResult(JsonSerializer.SerializeToElement(Combine(ReadInput(input, "input"), results), WebLabJson.Compact));
    }

    private TInput ReadInput(JsonElement input, string what) => WebLabJson.Deserialize<TInput>(input.GetRawText(), $"{Name} {what}");

    public sealed override IReadOnlyList<string> Warnings(string normalisedSpec) =>
        Warnings(WebLabJson.Deserialize<TSpec>(normalisedSpec, "spec"));

    /// <summary>The stored spec of a job of this kind.</summary>
    public TSpec ReadSpec(JobRecord job) => WebLabJson.Deserialize<TSpec>(job.SpecJson, $"{Name} spec of {job.Id}");

    /// <summary>The stored result of a job of this kind, or default while it has none.</summary>
    public TResult? ReadResult(JobRecord job) =>
        job.ResultJson is null ? default : WebLabJson.Deserialize<TResult>(job.ResultJson, $"{Name} result of {job.Id}");

    /// <summary>Adds every problem of <paramref name="spec"/> to <paramref name="errors"/> (paths relative to the spec).</summary>
    protected abstract Task ValidateAsync(TSpec spec, SpecErrors errors, SpecContext context, CancellationToken cancellationToken);

    /// <summary>Advice on a valid spec (none by default).</summary>
    protected virtual IReadOnlyList<string> Warnings(TSpec spec) => [];

    /// <summary>The spec as it is stored (e.g. with server-decided fields cleared).</summary>
    protected virtual TSpec Normalise(TSpec spec) => spec;

    /// <summary>The device the spec asks for and its field (auto or cpu; the lab decides which GPU), for kinds that train or infer.</summary>
    protected virtual (string Field, string? Device) RequestedDevice(TSpec spec) => ("device", DeviceChoice.Auto);

    protected abstract Task<TInput> ResolveAsync(TSpec spec, JobRecord job, ResolveContext context, CancellationToken cancellationToken);

    /// <summary>The tasks the input splits into on executors that run arrays (see <see cref="JobKind.Tasks"/>).</summary>
    protected virtual int Tasks(TInput input) => 1;

    /// <summary>The job's result from its tasks' results, in task order.</summary>
    protected virtual TResult Combine(TInput input, IReadOnlyList<TResult> tasks) => throw new InvalidOperationException($"{Name} jobs do not run as arrays");

    /// <summary>Runs the input in the worker; returns the result and the checkpoint it wrote, if any.</summary>
    protected abstract (TResult Result, OutputCheckpoint? Checkpoint) Run(TInput input, WorkerContext context);
}

/// <summary>The lanes of worker slots.</summary>
public static class Lanes
{
    /// <summary>Training work: one slot per device.</summary>
    public const string Train = "train";

    /// <summary>Quick utility work (decoding uploads, importing weights) that must not wait behind a long training job.</summary>
    public const string Utility = "utility";

    public static IReadOnlyList<string> All { get; } = [Train, Utility];
}

/// <summary>What the host knows when it resolves a claimed job for a worker.</summary>
/// <param name="Device">The device the claiming slot gives its worker ("cpu"; "cuda": its one visible GPU; "auto" on a cluster node).</param>
public sealed record ResolveContext(string Device, DataFolder Folder, LabReferences References)
{
    /// <summary>The worker's device for a spec that asked for <paramref name="requested"/>: the CPU when asked, else the slot's.</summary>
    public string DeviceFor(string? requested) => DeviceChoice.Normalise(requested) == DeviceChoice.Cpu ? DeviceChoice.Cpu : Device;

    /// <summary>Where this job's checkpoint goes: named after the job, so a retry overwrites and never duplicates.</summary>
    public string CheckpointFor(JobRecord job) => Folder.CheckpointFile(CheckpointIds.For(job.Id));
}

/// <summary>The checkpoint id a job's output gets (ckpt_ + the job id's random part).</summary>
public static class CheckpointIds
{
    public static string For(string jobId) => "ckpt_" + jobId[(jobId.IndexOf('_', StringComparison.Ordinal) + 1)..];
}
