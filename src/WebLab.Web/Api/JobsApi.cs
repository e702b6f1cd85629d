using System.Text.Json;
using WebLab.Lab.Jobs;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;
using WebLab.Training;

namespace WebLab.Web.Api;

/// <summary>What a client submits: a job kind and its spec (see GET /api/jobs/kinds for examples).</summary>
/// <param name="IdempotencyKey">Submitting again with the same key returns the first job (also read from the Idempotency-Key header).</param>
public sealed record SubmitJobRequest(string Kind, JsonElement Spec, string? Name = null, int Priority = 0, string? IdempotencyKey = null);

/// <summary>A job at a glance.</summary>
public sealed record JobSummary(string Id, string Kind, string Owner, string Name, JobState State, int Attempt, int MaxAttempts, string? Device,
    int? Position, JobProgress? Progress, string? Error, string CreatedAt, string? StartedAt, string? FinishedAt, long LastSeq)
{
    public static JobSummary Of(JobRecord job, int? position) => new(job.Id, job.Kind, job.Owner, job.Name, job.State, job.Attempt, job.MaxAttempts,
        job.Device, position, job.IsFinished ? null : job.ReadProgress(),
        job.Error, job.CreatedAt, job.StartedAt, job.FinishedAt, job.LastSeq);
}

/// <summary>One epoch of one arm and seed (point: sweep point index).</summary>
public sealed record CurvePoint(int Point, string Arm, int Seed, int Epoch, JsonElement Values);

/// <summary>Everything about a job: state, spec, history, per-epoch curves and the result when done.</summary>
public sealed record JobDetail(JobSummary Job, JsonElement Spec, IReadOnlyList<JobTransition> History, IReadOnlyList<CurvePoint> Curves, JsonElement? Result);

/// <summary>A persisted job event; seq counts from 1 with no gaps.</summary>
public sealed record JobEventDto(long Seq, string Type, JsonElement Payload, string At);

internal static class JobsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapPost("", SubmitAsync).WithSummary("Submit a pretrain, experiment or sweep job; 400 with field errors when the spec is invalid.");
        jobs.MapGet("", ListAsync).WithSummary("Jobs, newest first; filter by state, kind, owner.");
        jobs.MapGet("/{id}", GetAsync).WithSummary("A job: state, progress, queue position, spec, history, curves and result.");
        jobs.MapGet("/{id}/events", EventsAsync).WithSummary("The job's events after seq `after` (a late joiner's history before the hub's live stream).");
        jobs.MapPost("/{id}/cancel", CancelAsync).WithSummary("Cancel a queued or running job (your own: 403 otherwise).");
        jobs.MapPost("/{id}/stop", StopAsync).WithSummary("Finish a running experiment early, keeping its best model so far (your own: 403 otherwise).");
        jobs.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a finished job, its history and files (your own: 403 otherwise).");
        api.MapGet("/queue", QueueAsync).WithTags("Jobs").WithSummary("Running and queued jobs, in the order they will run.");
        api.MapPost("/demo", DemoAsync).WithTags("Jobs")
            .WithSummary("Run the built-in demo: Fashion-MNIST clothes -> shoes & bags, 20 images per class, transfer vs scratch, 3 seeds.");
    }

    private static async Task<IResult> SubmitAsync(SubmitJobRequest request, HttpContext context, JobSpecs specs, JobRunner runner, CancellationToken ct)
    {
        if (request.Priority is < -10 or > 10)
            throw new SpecValidationException(new Dictionary<string, string[]> { ["priority"] = ["must be -10..10."] });
        var spec = await specs.ValidateAsync(request.Kind ?? "", request.Spec, ct);
        var key = request.IdempotencyKey is { Length: > 0 } given ? given
            : context.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } header ? header : null;
        var owner = Users.Of(context);
        var name = string.IsNullOrWhiteSpace(request.Name) ? DefaultName(request.Kind!, request.Spec) : request.Name.Trim();
        var (job, created) = await runner.SubmitAsync(new JobSubmission(request.Kind!, owner, name, spec, request.Priority, key is null ? null : $"{owner}:{key}"), ct);
        return created ? Results.Created($"/api/jobs/{job.Id}", JobSummary.Of(job, null)) : Results.Ok(JobSummary.Of(job, null));
    }

    private static string DefaultName(string kind, JsonElement spec) =>
        spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
            ? name.GetString()! : kind;

    private static async Task<IResult> ListAsync(JobStore store, string? state, string? kind, string? owner, int? limit, CancellationToken ct)
    {
        JobState? filter = null;
        if (!string.IsNullOrEmpty(state))
        {
            filter = Enum.TryParse<JobState>(state, ignoreCase: true, out var parsed) && !int.TryParse(state, out _) ? parsed
                : throw new SpecValidationException(new Dictionary<string, string[]>
                {
                    ["state"] = [$"one of {string.Join(", ", Enum.GetNames<JobState>().Select(n => n.ToLowerInvariant()))}."],
                });
        }
        var list = await store.ListAsync(filter, kind, owner, Math.Clamp(limit ?? 200, 1, 1000), ct);
        var positions = await store.QueuePositionsAsync(ct);
        return Results.Ok(list.Select(j => JobSummary.Of(j, positions.GetValueOrDefault(j.Id) is var p and > 0 ? p : null)).ToList());
    }

    private static async Task<IResult> GetAsync(string id, JobStore store, CancellationToken ct)
    {
        var job = await store.GetAsync(id, ct);
        if (job is null)
            return Problems.NotFound($"No job '{id}'.");
        var positions = await store.QueuePositionsAsync(ct);
        var curves = (await store.MetricsAsync(id, ct))
            .Select(m => new CurvePoint(m.Point, m.Arm, m.Seed, m.Epoch, JsonDocument.Parse(m.ValuesJson).RootElement)).ToList();
        return Results.Ok(new JobDetail(JobSummary.Of(job, positions.GetValueOrDefault(id) is var p and > 0 ? p : null),
            JsonDocument.Parse(job.SpecJson).RootElement, await store.HistoryAsync(id, ct), curves,
            job.ResultJson is null ? null : JsonDocument.Parse(job.ResultJson).RootElement));
    }

    private static async Task<IResult> EventsAsync(string id, long? after, JobStore store, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is null)
            return Problems.NotFound($"No job '{id}'.");
        var events = await store.EventsAsync(id, after ?? 0, ct);
        return Results.Ok(events.Select(e => new JobEventDto(e.Seq, e.Type, JsonDocument.Parse(e.PayloadJson).RootElement, e.At)).ToList());
    }

    private static async Task<IResult> CancelAsync(string id, HttpContext context, JobStore store, JobRunner runner, CancellationToken ct)
    {
        var job = await store.GetAsync(id, ct);
        if (job is null)
            return Problems.NotFound($"No job '{id}'.");
        if (NotYours(job, context, "cancel") is { } refused)
            return refused;
        if (job.IsFinished)
            return Problems.Conflict($"Job '{id}' has already finished ({job.State.ToString().ToLowerInvariant()}).");
        await runner.CancelAsync(id, $"cancelled by {Users.Of(context)}", ct);
        return Results.Ok(JobSummary.Of((await store.GetAsync(id, ct))!, null));
    }

    private static async Task<IResult> StopAsync(string id, HttpContext context, JobStore store, JobRunner runner, CancellationToken ct)
    {
        var job = await store.GetAsync(id, ct);
        if (job is null)
            return Problems.NotFound($"No job '{id}'.");
        if (NotYours(job, context, "stop") is { } refused)
            return refused;
        if (job.State != JobState.Running || !runner.Stop(id))
            return Problems.Conflict($"Job '{id}' is not running; only a running job can be stopped early.");
        return Results.Accepted($"/api/jobs/{id}", JobSummary.Of(job, null));
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext context, JobStore store, DataFolder folder, CancellationToken ct)
    {
        var job = await store.GetAsync(id, ct);
        if (job is null)
            return Problems.NotFound($"No job '{id}'.");
        if (NotYours(job, context, "delete") is { } refused)
            return refused;
        if (!job.IsFinished)
            return Problems.Conflict($"Job '{id}' is {job.State.ToString().ToLowerInvariant()}; cancel it first.");
        if (await store.DeleteAsync(id, ct))
            folder.DeleteOwned(folder.JobFolder(id)); // its worker files and rendered images; checkpoints live on in the zoo
        return Results.NoContent();
    }

    /// <summary>403 unless the caller owns the job ("cancel your own", see <see cref="Users.MayControl"/>).</summary>
    private static IResult? NotYours(JobRecord job, HttpContext context, string action)
    {
        var user = Users.Of(context);
        return Users.MayControl(user, job) ? null
            : Problems.Forbidden($"Job '{job.Id}' belongs to '{job.Owner}'; only they can {action} it (you are '{user}', from the {Users.Header} header or the {Users.Cookie} cookie).");
    }

    private static async Task<IResult> QueueAsync(JobStore store, JobRunner runner, CancellationToken ct)
    {
        var running = await store.ListAsync(JobState.Running, cancellationToken: ct);
        var queued = await store.ListAsync(JobState.Queued, cancellationToken: ct);
        var positions = await store.QueuePositionsAsync(ct);
        return Results.Ok(new
        {
            devices = runner.TrainDevices,
            running = running.Select(j => JobSummary.Of(j, null)),
            queued = queued.OrderBy(j => positions.GetValueOrDefault(j.Id)).Select(j => JobSummary.Of(j, positions.GetValueOrDefault(j.Id))),
        });
    }

    private static async Task<IResult> DemoAsync(HttpContext context, JobSpecs specs, JobRunner runner, CancellationToken ct)
    {
        var spec = Demo.Experiment(Lab.Catalog.CheckpointStore.DemoAlias);
        var request = new SubmitJobRequest(Lab.Jobs.JobKinds.Experiment, JsonSerializer.SerializeToElement(spec, WebLabJson.Compact), spec.Name);
        return await SubmitAsync(request, context, specs, runner, ct);
    }
}
