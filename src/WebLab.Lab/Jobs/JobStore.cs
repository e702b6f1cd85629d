using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Jobs;

/// <summary>
/// The durable job queue. Every state change is a compare-and-set on the expected state (and, for running jobs,
/// the lease owner) inside an IMMEDIATE transaction, so a stale worker can never overwrite a newer state and two
/// workers can never claim the same job.
/// </summary>
public sealed partial class JobStore(Database db)
{
    private readonly TimeProvider _time = db.Time;

    private const string Columns = "*";

    /// <summary>The lab's clock (the database's).</summary>
    public TimeProvider Time => _time;

    internal long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    internal string NowIso => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private static string S(JobState state) => state.Stored();

    /// <summary>After a full disk: see <see cref="Database.ResetConnections"/>.</summary>
    public void ResetConnections() => db.ResetConnections();

    /// <summary>Queues a job (or returns the existing one for a repeated idempotency key).</summary>
    /// <param name="timeout">How long it may run once started, wall clock (null: the kind's setting when it is claimed).</param>
    public async Task<(JobRecord Job, bool Created)> SubmitAsync(JobSubmission submission, int maxAttempts, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var kind = JobKinds.Find(submission.Kind)
                   ?? throw new BadInputException($"Unknown job kind '{submission.Kind}'. Known: {string.Join(", ", JobKinds.All.Select(k => k.Name))}.");
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            if (submission.IdempotencyKey is { } key)
            {
                var existing = await connection.QuerySingleOrDefaultAsync<JobRecord>(new CommandDefinition(
                    $"SELECT {Columns} FROM jobs WHERE idempotency_key = @key", new { key }, transaction, cancellationToken: cancellationToken));
                if (existing is not null)
                    return (existing, false);
            }
            var id = Ids.New("job", _time);
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO jobs (id, kind, owner, name, spec_json, state, priority, attempt, max_attempts, idempotency_key, lane, created_at, visibility,
                                  timeout_ms)
                VALUES (@id, @Kind, @Owner, @Name, @SpecJson, 'queued', @Priority, 0, @maxAttempts, @IdempotencyKey, @lane, @now, @visibility, @timeoutMs)
                """, new
            {
                id,
                submission.Kind,
                submission.Owner,
                submission.Name,
                submission.SpecJson,
                submission.Priority,
                maxAttempts,
                submission.IdempotencyKey,
                lane = kind.Lane,
                now = NowIso,
                visibility = AccessPolicy.Text(submission.Visibility),
                timeoutMs = (long?)timeout?.TotalMilliseconds,
            }, transaction, cancellationToken: cancellationToken));
            await HistoryAsync(connection, transaction, id, null, JobState.Queued, "submitted", 0, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return ((await GetAsync(id, cancellationToken))!, true);
        }
    }

    /// <summary>
    /// Claims the next job of <paramref name="lane"/> for <paramref name="leaseOwner"/>, in <see cref="FairQueue"/> order.
    /// Job is Running afterwards: if the claimer dies, its lease expires and the job is requeued.
    /// </summary>
    public async Task<JobRecord?> ClaimAsync(string lane, string leaseOwner, TimeSpan lease, string? device = null, CancellationToken cancellationToken = default)
    {
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var order = await FairQueue.OrderAsync(connection, transaction, lane, cancellationToken);
            if (order.Count == 0)
                return null;
            var id = order[0];
            long now = NowMs;
            var updated = await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = @leaseOwner, lease_expires_ms = @expires,
                       claimed_ms = MAX(@now, (SELECT COALESCE(MAX(claimed_ms), 0) + 1 FROM jobs)), started_at = COALESCE(started_at, @nowIso), device = @device, error = NULL,
                       deadline_ms = COALESCE(deadline_ms, @now + timeout_ms)
                WHERE id = @id AND state = 'queued'
                """, new { id, leaseOwner, expires = now + (long)lease.TotalMilliseconds, now, nowIso = NowIso, device },
                transaction, cancellationToken: cancellationToken));
            if (updated != 1)
                return null;
            var job = await connection.QuerySingleAsync<JobRecord>(new CommandDefinition(
                $"SELECT {Columns} FROM jobs WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
            await HistoryAsync(connection, transaction, id, JobState.Queued, JobState.Running, $"claimed by {leaseOwner}", job.Attempt, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return job;
        }
    }

    /// <summary>Extends a running job's lease; false when the job is no longer this owner's (cancelled, requeued).</summary>
    public async Task<bool> HeartbeatAsync(string id, string leaseOwner, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE jobs SET lease_expires_ms = @expires WHERE id = @id AND state = 'running' AND lease_owner = @leaseOwner
            """, new { id, leaseOwner, expires = NowMs + (long)lease.TotalMilliseconds }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Records the device a running job was given after its claim (a utility job on a borrowed GPU).</summary>
    public async Task RecordDeviceAsync(string id, string leaseOwner, string device, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE jobs SET device = @device WHERE id = @id AND state = 'running' AND lease_owner = @leaseOwner",
            new { id, leaseOwner, device }, cancellationToken: cancellationToken));
    }

    /// <summary>Running -> Succeeded with the result; false (and nothing written) if this owner no longer holds the job.</summary>
    /// <param name="alsoWrite">Writes (e.g. registering the job's checkpoint) committed in the same transaction as the state change.</param>
    public Task<bool> CompleteAsync(string id, string leaseOwner, string resultJson, Func<LabWrite, Task>? alsoWrite = null,
        CancellationToken cancellationToken = default) =>
        FinishRunningAsync(id, leaseOwner, JobState.Succeeded, "completed", resultJson, null, alsoWrite, cancellationToken);

    /// <summary>Writes that belong together, outside any job transition (e.g. marking a failed ingest's dataset).</summary>
    public Task WriteAsync(Func<LabWrite, Task> work, CancellationToken cancellationToken = default) =>
        LabWrite.InTransactionAsync(db, work, cancellationToken);

    /// <summary>
    /// Running -> Queued (attempts left and <paramref name="retryable"/>) or Failed, with the error kept.
    /// Bad input is not retryable: running it again cannot help.
    /// </summary>
    public async Task<JobState?> FailAsync(string id, string leaseOwner, string error, bool retryable, CancellationToken cancellationToken = default)
    {
        var job = await GetAsync(id, cancellationToken);
        if (job is null || job.State != JobState.Running || job.LeaseOwner != leaseOwner)
            return null;
        if (retryable && job.Attempt < job.MaxAttempts)
        {
            var ok = await MoveRunningAsync(id, leaseOwner, JobState.Queued, $"attempt {job.Attempt} failed, retrying: {error}", error, 0, cancellationToken);
            return ok ? JobState.Queued : null;
        }
        var reason = retryable ? $"failed after {job.Attempt} attempt(s): {error}" : $"failed: {error}";
        return await FinishRunningAsync(id, leaseOwner, JobState.Failed, reason, null, error, null, cancellationToken) ? JobState.Failed : null;
    }

    /// <summary>Running -> TimedOut: the job ran past its deadline; it is not retried (it would only run past it again).</summary>
    public Task<bool> TimeOutAsync(string id, string leaseOwner, string error, CancellationToken cancellationToken = default) =>
        FinishRunningAsync(id, leaseOwner, JobState.TimedOut, $"timed out: {error}", null, error, null, cancellationToken);

    /// <summary>Running -> Queued without spending an attempt (the worker was asked to stop: SIGTERM, shutdown).</summary>
    public Task<bool> InterruptAsync(string id, string leaseOwner, string reason, CancellationToken cancellationToken = default) =>
        MoveRunningAsync(id, leaseOwner, JobState.Queued, $"interrupted: {reason}", null, -1, cancellationToken);

    /// <summary>Queued or Running -> Cancelled. The caller then stops the worker; its later writes are rejected.</summary>
    public async Task<bool> CancelAsync(string id, string reason, CancellationToken cancellationToken = default)
    {
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var job = await connection.QuerySingleOrDefaultAsync<JobRecord>(new CommandDefinition(
                $"SELECT {Columns} FROM jobs WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
            if (job is null || job.IsFinished)
                return false;
            var changed = await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE jobs SET state = 'cancelled', finished_at = @now, lease_owner = NULL, lease_expires_ms = NULL
                WHERE id = @id AND state = @from
                """, new { id, from = S(job.State), now = NowIso }, transaction, cancellationToken: cancellationToken));
            if (changed != 1)
                return false;
            await HistoryAsync(connection, transaction, id, job.State, JobState.Cancelled, reason, job.Attempt, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
    }

    /// <summary>
    /// Requeues (or fails, when attempts are used up) every running job whose lease has expired: its worker or host
    /// died. Returns the jobs it touched.
    /// </summary>
    public Task<IReadOnlyList<(string Id, JobState State)>> RecoverExpiredAsync(CancellationToken cancellationToken = default) =>
        RecoverAsync(null, cancellationToken);

    /// <summary>
    /// At host start-up: every running job not leased by <paramref name="liveHost"/> belongs to a host that is gone
    /// (only one host serves a data folder), so it is recovered at once instead of waiting for its lease to run out.
    /// </summary>
    public Task<IReadOnlyList<(string Id, JobState State)>> RecoverOrphansAsync(string liveHost, CancellationToken cancellationToken = default) =>
        RecoverAsync(liveHost, cancellationToken);

    private async Task<IReadOnlyList<(string Id, JobState State)>> RecoverAsync(string? liveHost, CancellationToken cancellationToken)
    {
        var touched = new List<(string, JobState)>();
        List<JobRecord> stale;
        await using (var connection = await db.OpenAsync(cancellationToken))
        {
            stale = (await connection.QueryAsync<JobRecord>(new CommandDefinition(
                $"SELECT {Columns} FROM jobs WHERE state = 'running' AND (lease_expires_ms < @now OR (@liveHost IS NOT NULL AND substr(lease_owner, 1, length(@liveHost) + 1) <> @liveHost || '/'))",
                new { now = NowMs, liveHost }, cancellationToken: cancellationToken))).ToList();
        }
        foreach (var job in stale)
        {
            var cause = liveHost is null ? $"lease of {job.LeaseOwner} expired" : $"{job.LeaseOwner} is gone (the lab restarted)";
            var error = job.Error ?? $"the worker stopped answering ({cause})";
            bool retry = job.Attempt < job.MaxAttempts;
            var to = retry ? JobState.Queued : JobState.Failed;
            var reason = retry ? $"{cause}; requeued" : $"{cause} after {job.Attempt} attempt(s); failed";
            if (await ExpireAsync(job, to, reason, retry ? null : error, cancellationToken))
                touched.Add((job.Id, to));
        }
        return touched;
    }

    private async Task<bool> ExpireAsync(JobRecord job, JobState to, string reason, string? error, CancellationToken cancellationToken)
    {
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE jobs SET state = @to, lease_owner = NULL, lease_expires_ms = NULL, error = COALESCE(@error, error),
                       finished_at = CASE WHEN @to = 'failed' THEN @now ELSE finished_at END
                WHERE id = @id AND state = 'running' AND lease_owner = @owner AND lease_expires_ms = @expires
                """, new { id = job.Id, to = S(to), owner = job.LeaseOwner, expires = job.LeaseExpiresMs, error, now = NowIso },
                transaction, cancellationToken: cancellationToken));
            if (changed != 1)
                return false;
            await HistoryAsync(connection, transaction, job.Id, JobState.Running, to, reason, job.Attempt, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
    }

    private Task<bool> FinishRunningAsync(string id, string leaseOwner, JobState to, string reason, string? resultJson, string? error,
        Func<LabWrite, Task>? alsoWrite, CancellationToken cancellationToken) =>
        TransitionRunningAsync(id, leaseOwner, to, reason, 0, """
            UPDATE jobs SET state = @to, result_json = COALESCE(@resultJson, result_json), error = @error, finished_at = @now,
                   lease_owner = NULL, lease_expires_ms = NULL
            WHERE id = @id AND state = 'running' AND lease_owner = @leaseOwner
            """, new { id, leaseOwner, to = S(to), resultJson, error, now = NowIso }, alsoWrite, cancellationToken);

    private Task<bool> MoveRunningAsync(string id, string leaseOwner, JobState to, string reason, string? error, int attemptDelta,
        CancellationToken cancellationToken) =>
        TransitionRunningAsync(id, leaseOwner, to, reason, attemptDelta, """
            UPDATE jobs SET state = @to, attempt = attempt + @attemptDelta, error = COALESCE(@error, error), lease_owner = NULL, lease_expires_ms = NULL
            WHERE id = @id AND state = 'running' AND lease_owner = @leaseOwner
            """, new { id, leaseOwner, to = S(to), error, attemptDelta }, null, cancellationToken);

    /// <summary>Running -> <paramref name="to"/> by <paramref name="update"/>, only while <paramref name="leaseOwner"/> holds the job.</summary>
    private async Task<bool> TransitionRunningAsync(string id, string leaseOwner, JobState to, string reason, int attemptDelta, string update,
        object parameters, Func<LabWrite, Task>? alsoWrite, CancellationToken cancellationToken)
    {
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var attempt = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
                "SELECT attempt FROM jobs WHERE id = @id AND state = 'running' AND lease_owner = @leaseOwner",
                new { id, leaseOwner }, transaction, cancellationToken: cancellationToken));
            if (attempt is null)
                return false;
            await connection.ExecuteAsync(new CommandDefinition(update, parameters, transaction, cancellationToken: cancellationToken));
            await HistoryAsync(connection, transaction, id, JobState.Running, to, reason, attempt.Value + attemptDelta, cancellationToken);
            if (alsoWrite is not null)
                await alsoWrite(new LabWrite(connection, transaction, _time));
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
    }

    private async Task HistoryAsync(SqliteConnection connection, SqliteTransaction transaction, string id, JobState? from, JobState to, string reason,
        int attempt, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO job_history (job_id, from_state, to_state, reason, attempt, at) VALUES (@id, @from, @to, @reason, @attempt, @now)
            """, new { id, from = from is { } f ? S(f) : null, to = S(to), reason, attempt, now = NowIso }, transaction,
            cancellationToken: cancellationToken));
    }
}
