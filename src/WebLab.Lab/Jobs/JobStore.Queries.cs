using Dapper;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs.Kinds;

namespace WebLab.Lab.Jobs;

/// <summary>Reads, events, metrics and queue positions.</summary>
public sealed partial class JobStore
{
    public async Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<JobRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM jobs WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>Jobs, newest first, optionally filtered.</summary>
    /// <param name="viewer">Only jobs this caller may see (<see cref="AccessPolicy.MayRead"/>); null: all (the lab itself).</param>
    public async Task<IReadOnlyList<JobRecord>> ListAsync(JobState? state = null, string? kind = null, string? owner = null, int limit = 200,
        Caller? viewer = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM jobs
            WHERE (@state IS NULL OR state = @state) AND (@kind IS NULL OR kind = @kind) AND (@owner IS NULL OR owner = @owner)
              AND {AccessPolicy.VisibleSql}
            ORDER BY id DESC LIMIT @limit
            """, AccessPolicy.WithViewer(new { state = state is { } s ? S(s) : null, kind, owner, limit }, viewer), cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>Number of jobs in <paramref name="state"/>.</summary>
    public async Task<int> CountAsync(JobState state, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM jobs WHERE state = @state", new { state = S(state) }, cancellationToken: cancellationToken));
    }

    /// <summary>The state history of a job, oldest first.</summary>
    public async Task<IReadOnlyList<JobTransition>> HistoryAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<JobTransition>(new CommandDefinition(
            "SELECT * FROM job_history WHERE job_id = @id ORDER BY id", new { id }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>
    /// Appends an event (numbered from 1 per job) on behalf of the lease owner, with optional epoch metrics in the
    /// same transaction. Returns the event's sequence number, or null when the owner no longer holds the job
    /// (a zombie worker's write is rejected).
    /// </summary>
    public async Task<long?> AppendEventAsync(string id, string leaseOwner, string type, string payloadJson, MetricRecord? metric = null,
        CancellationToken cancellationToken = default)
    {
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var seq = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
                UPDATE jobs SET last_seq = last_seq + 1 WHERE id = @id AND state = 'running' AND lease_owner = @leaseOwner RETURNING last_seq
                """, new { id, leaseOwner }, transaction, cancellationToken: cancellationToken));
            if (seq is null)
                return null;
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO job_events (job_id, seq, type, payload_json, at) VALUES (@id, @seq, @type, @payloadJson, @now)",
                new { id, seq, type, payloadJson, now = NowIso }, transaction, cancellationToken: cancellationToken));
            if (metric is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT OR REPLACE INTO metrics (job_id, point, arm, seed, epoch, values_json)
                    VALUES (@JobId, @Point, @Arm, @Seed, @Epoch, @ValuesJson)
                    """, metric, transaction, cancellationToken: cancellationToken));
            }
            await transaction.CommitAsync(cancellationToken);
            return seq;
        }
    }

    /// <summary>Stores the latest (throttled) progress snapshot of a running job; false when not this owner's.</summary>
    public async Task<bool> SetProgressAsync(string id, string leaseOwner, string progressJson, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE jobs SET progress_json = @progressJson WHERE id = @id AND state = 'running' AND lease_owner = @leaseOwner",
            new { id, leaseOwner, progressJson }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Events after <paramref name="afterSeq"/>, in order (a late joiner's history).</summary>
    public async Task<IReadOnlyList<JobEventRecord>> EventsAsync(string id, long afterSeq = 0, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<JobEventRecord>(new CommandDefinition(
            "SELECT * FROM job_events WHERE job_id = @id AND seq > @afterSeq ORDER BY seq", new { id, afterSeq },
            cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>A job's curve points (one per epoch of each point, arm and seed), as live events carry them.</summary>
    public async Task<IReadOnlyList<Workers.CurvePoint>> CurvesAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<MetricRecord>(new CommandDefinition(
            "SELECT * FROM metrics WHERE job_id = @id ORDER BY point, arm, seed, epoch", new { id }, cancellationToken: cancellationToken));
        return [.. rows.Select(m => new Workers.CurvePoint(m.Point, m.Arm, m.Seed, m.Epoch, System.Text.Json.JsonDocument.Parse(m.ValuesJson).RootElement.Clone()))];
    }

    /// <summary>Deletes a finished job with its history, events and metrics; false for unknown or unfinished jobs.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM jobs WHERE id = @id AND state IN @finished", new { id, finished = JobStates.Finished.Select(s => s.Stored()) }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Position in line (1 = next) of every queued job, each within its own lane.</summary>
    public async Task<IReadOnlyDictionary<string, int>> QueuePositionsAsync(CancellationToken cancellationToken = default)
    {
        var positions = new Dictionary<string, int>();
        foreach (var lane in Lanes.All)
        {
            foreach (var (id, position) in await QueuePositionsAsync(lane, cancellationToken))
                positions[id] = position;
        }
        return positions;
    }

    /// <summary>Position in line (1 = next) of every queued job of a lane, in the order claims will serve them.</summary>
    public async Task<IReadOnlyDictionary<string, int>> QueuePositionsAsync(string lane, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var order = await FairQueue.OrderAsync(connection, null, lane, cancellationToken);
        return order.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i + 1);
    }
}
