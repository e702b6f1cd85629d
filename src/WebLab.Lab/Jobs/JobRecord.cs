namespace WebLab.Lab.Jobs;

/// <summary>
/// A job's life: Queued -> Running -> Succeeded | Failed | Cancelled | TimedOut, with Running -> Queued when a worker is
/// lost (lease expired, crash: attempt counted) or interrupted (SIGTERM: attempt not counted). Every transition is a
/// compare-and-set on the expected state (and lease owner) and leaves a row in job_history with its reason.
/// </summary>
public enum JobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,

    /// <summary>Ran past its wall-clock deadline: the worker was killed and the job is not retried.</summary>
    TimedOut,
}

/// <summary>What the states mean, in one place.</summary>
public static class JobStates
{
    /// <summary>The states a job never leaves.</summary>
    public static IReadOnlyList<JobState> Finished { get; } = [JobState.Succeeded, JobState.Failed, JobState.Cancelled, JobState.TimedOut];

    public static bool IsFinished(this JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.TimedOut;

    /// <summary>Finished without a result.</summary>
    public static bool IsUnsuccessful(this JobState state) => state.IsFinished() && state != JobState.Succeeded;

    /// <summary>As the database stores it ("timedout").</summary>
    public static string Stored(this JobState state) => state.ToString().ToLowerInvariant();

    /// <summary>As pages show it ("timed out").</summary>
    public static string Label(this JobState state) => state == JobState.TimedOut ? "timed out" : state.Stored();
}

/// <summary>A row of the jobs table.</summary>
public sealed record JobRecord
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required string Owner { get; init; }
    public required string Name { get; init; }
    public required string SpecJson { get; init; }
    public required JobState State { get; init; }
    public int Priority { get; init; }
    public int Attempt { get; init; }
    public int MaxAttempts { get; init; }
    public string? LeaseOwner { get; init; }
    public long? LeaseExpiresMs { get; init; }
    public long? ClaimedMs { get; init; }
    public string? IdempotencyKey { get; init; }
    public required string Lane { get; init; }
    public string? Device { get; init; }
    public string? ProgressJson { get; init; }
    public string? ResultJson { get; init; }
    public string? Error { get; init; }
    public long LastSeq { get; init; }
    public required string CreatedAt { get; init; }
    public string? StartedAt { get; init; }
    public string? FinishedAt { get; init; }
    public Access.Visibility Visibility { get; init; }

    /// <summary>How long the job may run, wall clock, fixed when it was submitted (null: submitted before deadlines existed).</summary>
    public long? TimeoutMs { get; init; }

    /// <summary>When it must have finished (Unix ms): its first start plus <see cref="TimeoutMs"/>; retries keep it.</summary>
    public long? DeadlineMs { get; init; }

    public bool IsFinished => State.IsFinished();

    /// <summary>The last stored progress snapshot, or null.</summary>
    public Workers.JobProgress? ReadProgress() =>
        ProgressJson is null ? null : System.Text.Json.JsonSerializer.Deserialize<Workers.JobProgress>(ProgressJson, WebLabJson.Compact);
}

/// <summary>A row of job_history.</summary>
public sealed record JobTransition
{
    public long Id { get; init; }
    public required string JobId { get; init; }
    public JobState? FromState { get; init; }
    public required JobState ToState { get; init; }
    public required string Reason { get; init; }
    public int Attempt { get; init; }
    public required string At { get; init; }
}

/// <summary>A persisted job event, numbered from 1 per job.</summary>
public sealed record JobEventRecord
{
    public required string JobId { get; init; }
    public long Seq { get; init; }
    public required string Type { get; init; }
    public required string PayloadJson { get; init; }
    public required string At { get; init; }
}

/// <summary>One epoch's metrics of one arm and seed (point = sweep point, 0 otherwise).</summary>
public sealed record MetricRecord
{
    public required string JobId { get; init; }
    public int Point { get; init; }
    public required string Arm { get; init; }
    public int Seed { get; init; }
    public int Epoch { get; init; }
    public required string ValuesJson { get; init; }
}

/// <summary>What a client asks to run.</summary>
/// <param name="IdempotencyKey">Submitting twice with the same key returns the first job (double clicks, retries).</param>
public sealed record JobSubmission(string Kind, string Owner, string Name, string SpecJson, int Priority = 0, string? IdempotencyKey = null,
    Access.Visibility Visibility = Access.Visibility.Group);
