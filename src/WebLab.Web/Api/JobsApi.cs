using System.Text.Json;
using System.Text.Json.Serialization;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Workers;
using WebLab.Training;
using WebLab.Web.Access;

namespace WebLab.Web.Api;

/// <summary>What a client submits: a job kind and its spec (see GET /api/jobs/kinds for examples).</summary>
/// <param name="IdempotencyKey">Submitting again with the same key returns the first job (also read from the Idempotency-Key header).</param>
/// <param name="Visibility">group (default: everyone in the lab sees it) or private (you and the admins).</param>
public sealed record SubmitJobRequest(string Kind, JsonElement Spec, string? Name = null, int Priority = 0, string? IdempotencyKey = null,
    Visibility Visibility = Visibility.Group);

/// <summary>A job at a glance (<see cref="Visibility"/>: who besides its owner and the admins sees it).</summary>
/// <param name="Warnings">Only in the answer to a submission: advice on a valid spec that may not answer its question (e.g. one seed).</param>
public sealed record JobSummary(string Id, string Kind, string Owner, string Name, JobState State, int Attempt, int MaxAttempts, string? Device,
    int? Position, JobProgress? Progress, string? Error, string CreatedAt, string? StartedAt, string? FinishedAt, long LastSeq,
    Visibility Visibility = Visibility.Group,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Warnings = null)
{
    public static JobSummary Of(JobRecord job, int? position) => new(job.Id, job.Kind, job.Owner, job.Name, job.State, job.Attempt, job.MaxAttempts,
        job.Device, position, job.IsFinished ? null : job.ReadProgress(),
        job.Error, job.CreatedAt, job.StartedAt, job.FinishedAt, job.LastSeq, job.Visibility);
}

/// <summary>Everything about a job: state, spec, history, per-epoch curves and the result when done.</summary>
public sealed record JobDetail(JobSummary Job, JsonElement Spec, IReadOnlyList<JobTransition> History, IReadOnlyList<CurvePoint> Curves, JsonElement? Result);

/// <summary>A persisted job event; seq counts from 1 with no gaps while the job runs (cleanup thins an ended job's progress events).</summary>
public sealed record JobEventDto(long Seq, string Type, JsonElement Payload, string At);

internal static class JobsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapPost("", SubmitAsync).RequireRateLimiting(LabLimits.Submit).WithSummary("Submit a pretrain, experiment or sweep job; 400 with field errors when the spec is invalid.");
        jobs.MapGet("", ListAsync).WithSummary("Jobs, newest first; filter by state, kind, owner.");
        jobs.MapGet("/{id}", GetAsync).WithSummary("A job: state, progress, queue position, spec, history, curves and result.");
        jobs.MapGet("/{id}/events", EventsAsync).WithSummary("The job's events after seq `after` (a late joiner's history before the hub's live stream).");
        jobs.MapPost("/{id}/cancel", CancelAsync).WithSummary("Cancel a queued or running job (your own: 403 otherwise).");
        jobs.MapPost("/{id}/stop", StopAsync).WithSummary("Finish a running experiment early, keeping its best model so far (your own: 403 otherwise).");
        jobs.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a finished job, its history and files (your own: 403 otherwise).");
        api.MapGet("/queue", QueueAsync).WithTags("Jobs").WithSummary("Running and queued jobs, in the order they will run.");
        api.MapPost("/demo", (HttpContext context, LabDemos demos, CancellationToken ct) => DemoAsync(LabDemos.FashionMnist, context, demos, ct))
            .WithTags("Jobs").RequireRateLimiting(LabLimits.Submit)
            .WithSummary($"Run the built-in demo: {Demo.Title}, 20 images per class, transfer vs scratch, 3 seeds.");
        api.MapPost("/demo/{id}", DemoAsync).WithTags("Jobs").RequireRateLimiting(LabLimits.Submit)
            .WithSummary($"Run a demo by id: {LabDemos.FashionMnist} (the one above) or {LabDemos.Colour} ({Demo.Colour.Title}: 409 with the reason " +
                         "until the lab's ImageNet source is installed).");
        api.MapGet("/demos", async (LabDemos demos, CancellationToken ct) => Results.Ok(await demos.ListAsync(ct))).WithTags("Jobs")
            .WithSummary("The demos, each with why it cannot run yet (null when it can).");
    }

    private static async Task<IResult> SubmitAsync(SubmitJobRequest request, HttpContext context, LabCommands commands, CancellationToken ct)
    {
        var key = request.IdempotencyKey is { Length: > 0 } given ? given
            : context.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } header ? header : null;
        return Answer(await commands.SubmitRequestAsync(request.Kind, request.Spec, Users.Of(context), request.Name, request.Priority, key,
            request.Visibility, ct));
    }

    private static async Task<IResult> ListAsync(HttpContext context, LabReads reads, JobStore store, string? state, string? kind, string? owner, int? limit,
        CancellationToken ct)
    {
        JobState? filter = null;
        if (!string.IsNullOrEmpty(state))
        {
            // As the API writes states ("timed-out"), or as the database stores them ("timedout").
            filter = Enum.TryParse<JobState>(state.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var parsed) && !int.TryParse(state, out _)
                ? parsed
                : throw new SpecValidationException(new Dictionary<string, string[]>
                {
                    ["state"] = [$"one of {string.Join(", ", Enum.GetNames<JobState>().Select(System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName))}."],
                });
        }
        var list = await reads.JobsAsync(Users.Of(context), filter, kind, owner, Math.Clamp(limit ?? 200, 1, 1000), ct);
        var positions = await store.QueuePositionsAsync(ct);
        return Results.Ok(list.Select(j => JobSummary.Of(j, positions.GetValueOrDefault(j.Id) is var p and > 0 ? p : null)).ToList());
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, LabReads reads, JobStore store, CancellationToken ct)
    {
        var job = await reads.JobAsync(id, Users.Of(context), ct);
        var positions = await store.QueuePositionsAsync(ct);
        var curves = await store.CurvesAsync(id, ct);
        return Results.Ok(new JobDetail(JobSummary.Of(job, positions.GetValueOrDefault(id) is var p and > 0 ? p : null),
            JsonDocument.Parse(job.SpecJson).RootElement, await store.HistoryAsync(id, ct), curves,
            job.ResultJson is null ? null : JsonDocument.Parse(job.ResultJson).RootElement));
    }

    private static async Task<IResult> EventsAsync(string id, long? after, HttpContext context, LabReads reads, JobStore store, CancellationToken ct)
    {
        await reads.JobAsync(id, Users.Of(context), ct);
        var events = await store.EventsAsync(id, after ?? 0, ct);
        return Results.Ok(events.Select(e => new JobEventDto(e.Seq, e.Type, JsonDocument.Parse(e.PayloadJson).RootElement, e.At)).ToList());
    }

    private static async Task<IResult> CancelAsync(string id, HttpContext context, LabCommands commands, CancellationToken ct) =>
        Results.Ok(JobSummary.Of(await commands.CancelAsync(id, Users.Of(context), ct), null));

    private static async Task<IResult> StopAsync(string id, HttpContext context, LabCommands commands, CancellationToken ct) =>
        Results.Accepted($"/api/jobs/{id}", JobSummary.Of(await commands.StopAsync(id, Users.Of(context), ct), null));

    private static async Task<IResult> DeleteAsync(string id, HttpContext context, LabCommands commands, CancellationToken ct)
    {
        await commands.DeleteAsync(id, Users.Of(context), ct);
        return Results.NoContent();
    }

    private static async Task<IResult> QueueAsync(HttpContext context, LabReads reads, JobStore store, JobRunner runner, CancellationToken ct)
    {
        var running = await reads.JobsAsync(Users.Of(context), JobState.Running, cancellationToken: ct);
        var queued = await reads.JobsAsync(Users.Of(context), JobState.Queued, cancellationToken: ct);
        var positions = await store.QueuePositionsAsync(ct);
        return Results.Ok(new
        {
            devices = runner.TrainDevices,
            running = running.Select(j => JobSummary.Of(j, null)),
            queued = queued.OrderBy(j => positions.GetValueOrDefault(j.Id)).Select(j => JobSummary.Of(j, positions.GetValueOrDefault(j.Id))),
        });
    }

    private static async Task<IResult> DemoAsync(string id, HttpContext context, LabDemos demos, CancellationToken ct) =>
        Answer(await demos.SubmitAsync(id, Users.Of(context), ct));

    /// <summary>201 with the new job (200 when an idempotency key returned an earlier one), with any warnings about its spec.</summary>
    private static IResult Answer(Submitted submitted)
    {
        var body = JobSummary.Of(submitted.Job, null) with { Warnings = submitted.Warnings };
        return submitted.Created ? Results.Created($"/api/jobs/{submitted.Job.Id}", body) : Results.Ok(body);
    }
}
