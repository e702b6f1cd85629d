using System.Text.Json;
using System.Text.Json.Serialization;

namespace WebLab.Lab.Workers;

/// <summary>
/// The host-worker protocol. The host writes a <see cref="WorkerJob"/> file and starts <c>weblab worker --job FILE</c>;
/// the worker writes one JSON <see cref="WorkerMessage"/> per line on stdout and reads commands ("stop", "cancel",
/// "interrupt") from stdin; stdin closing means the host is gone. The exit code says how it ended.
/// </summary>
public static class WorkerExit
{
    public const int Succeeded = 0;

    /// <summary>An unexpected error; retrying may help (attempt counted).</summary>
    public const int Failed = 1;

    /// <summary>The input is wrong (bad spec, corrupt data); retrying cannot help.</summary>
    public const int BadInput = 2;

    /// <summary>Cancelled by the user: nothing was written.</summary>
    public const int Cancelled = 3;

    /// <summary>Asked to stop (SIGTERM, host shutdown): requeue without spending an attempt (EX_TEMPFAIL).</summary>
    public const int Interrupted = 75;
}

/// <summary>Commands the host writes to a worker's stdin.</summary>
public static class WorkerCommands
{
    /// <summary>Finish early, keeping the best model so far (a result is still produced).</summary>
    public const string Stop = "stop";

    /// <summary>Abandon the job; write nothing.</summary>
    public const string Cancel = "cancel";

    /// <summary>Stop at the next batch so the job can be requeued (shutdown).</summary>
    public const string Interrupt = "interrupt";
}

/// <summary>What a worker is asked to do: the kind's resolved input (paths, not lab ids) and where its files go.</summary>
/// <param name="Uplink">Set for workers on other machines: where they post their messages instead of writing stdout.</param>
public sealed record WorkerJob(string JobId, string Kind, string Device, string OutputDirectory, JsonElement Input, WorkerUplink? Uplink = null);

/// <summary>
/// How a worker on another machine reaches the lab: it posts its protocol lines to <see cref="Url"/> with
/// <see cref="Token"/>, which is good for this job attempt only and expires with the job's deadline; the lab answers
/// with the commands a local worker would read on stdin.
/// </summary>
public sealed record WorkerUplink(string Url, string Token);

/// <summary>A line a worker writes on stdout.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(WorkerEvent), "event")]
[JsonDerivedType(typeof(WorkerAlive), "alive")]
[JsonDerivedType(typeof(WorkerResult), "result")]
[JsonDerivedType(typeof(WorkerFailure), "error")]
[JsonDerivedType(typeof(WorkerExited), "exit")]
public abstract record WorkerMessage;

/// <summary>
/// A progress or milestone event, persisted with a sequence number and relayed live. <see cref="Event"/> is the
/// event type (<see cref="JobEventTypes"/>); <see cref="Curve"/> is set at epoch ends.
/// </summary>
public sealed record WorkerEvent(string Event, JsonElement Payload, JobProgress? Progress = null, CurvePoint? Curve = null) : WorkerMessage;

/// <summary>
/// Keep-alive from the worker's timer thread: the process lives. <see cref="Progress"/> counts the messages the job's own
/// work has sent so far; a timer keeps ticking when the work is deadlocked, the counter does not, so the host judges
/// liveness by the counter moving (<see cref="WorkerLiveness"/>), never by keep-alives alone.
/// </summary>
public sealed record WorkerAlive(string? Status = null, long Progress = 0) : WorkerMessage;

/// <summary>The job's result; the worker exits 0 after it.</summary>
public sealed record WorkerResult(JsonElement Result, OutputCheckpoint? Checkpoint = null) : WorkerMessage;

/// <summary>A checkpoint the job wrote, with its metadata (CheckpointInfo), for the host to register.</summary>
public sealed record OutputCheckpoint(string Path, JsonElement Info);

/// <summary>Why the job failed; the worker exits non-zero after it.</summary>
public sealed record WorkerFailure(string Message, bool Retryable) : WorkerMessage;

/// <summary>
/// A remote worker's last line: its exit code, which a local worker's host reads from the process instead. A scheduler
/// that ends a task without this line (scancel, a failed node) tells the executor how it ended.
/// </summary>
public sealed record WorkerExited(int Code) : WorkerMessage;

/// <summary>A running job's progress at a glance (what lists and the queue show).</summary>
/// <param name="Fraction">0..1 of the whole job.</param>
/// <param name="EtaSeconds">Estimated seconds left.</param>
/// <param name="ImagesPerSecond">Current training throughput.</param>
/// <param name="Phase">E.g. "transfer, seed 1, epoch 12/30".</param>
public sealed record JobProgress(double Fraction, double? EtaSeconds, double? ImagesPerSecond, string Phase);
