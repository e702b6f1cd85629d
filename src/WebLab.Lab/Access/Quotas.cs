using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Access;

/// <summary>Per-person limits by role (settings under WebLab:Quotas); admins have none.</summary>
public sealed class QuotaOptions
{
    /// <summary>Queued plus running jobs (predictions aside: they are seconds long and waited for).</summary>
    public int MemberActiveJobs { get; set; } = 10;
    public int GuestActiveJobs { get; set; } = 2;

    /// <summary>Worker minutes in the last 24 hours, over all of a person's jobs.</summary>
    public double MemberComputeMinutesPerDay { get; set; } = 8 * 60;
    public double GuestComputeMinutesPerDay { get; set; } = 30;

    /// <summary>Bytes of datasets and checkpoints a person owns.</summary>
    public long MemberStorageBytes { get; set; } = 20L << 30;
    public long GuestStorageBytes { get; set; } = 1L << 30;
}

/// <summary>A person's use of the lab against their quotas (null limit: none, for admins).</summary>
public sealed record Usage(int ActiveJobs, int? ActiveJobsLimit, double ComputeMinutes, double? ComputeMinutesLimit, long StorageBytes, long? StorageBytesLimit);

/// <summary>A quota would be passed (HTTP 429: wait for jobs to finish, or free space).</summary>
public sealed class QuotaExceededException(string message) : Jobs.RefusedException(message);

/// <summary>Measures use and refuses what would pass a quota, before anything is stored.</summary>
public sealed class Quotas(Database db, IOptions<LabOptions> options)
{
    private QuotaOptions Limits => options.Value.Quotas;

    public async Task<Usage> UsageAsync(Caller caller, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var active = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM jobs WHERE owner = @name AND state IN ('queued', 'running') AND kind <> 'predict'",
            new { name = caller.Name }, cancellationToken: cancellationToken));
        var bytes = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            SELECT COALESCE(SUM(f.bytes), 0) FROM files f
            LEFT JOIN datasets d ON f.owner_kind = 'dataset' AND d.id = f.owner_id
            LEFT JOIN checkpoints c ON f.owner_kind = 'checkpoint' AND c.id = f.owner_id
            WHERE d.owner = @name OR c.owner = @name
            """, new { name = caller.Name }, cancellationToken: cancellationToken));
        var minutes = await ComputeMinutesAsync(connection, caller.Name, cancellationToken);
        var (jobs, compute, storage) = caller.Role switch
        {
            Role.Admin => ((int?)null, (double?)null, (long?)null),
            Role.Member => (Limits.MemberActiveJobs, Limits.MemberComputeMinutesPerDay, Limits.MemberStorageBytes),
            _ => (Limits.GuestActiveJobs, Limits.GuestComputeMinutesPerDay, Limits.GuestStorageBytes),
        };
        return new Usage(active, jobs, minutes, compute, bytes, storage);
    }

    /// <summary>Refuses a new job when the person has too many queued and running, or has used a day's compute.</summary>
    public async Task CheckSubmitAsync(Caller caller, string kind, CancellationToken cancellationToken = default)
    {
        if (!caller.IsAdmin && kind != Jobs.Kinds.PredictKind.Id)
            CheckJobs(await UsageAsync(caller, cancellationToken));
    }

    /// <summary>Refuses storing <paramref name="bytes"/> more for the person when it would pass their storage quota.</summary>
    public async Task CheckStorageAsync(Caller caller, long bytes, CancellationToken cancellationToken = default)
    {
        if (!caller.IsAdmin)
            CheckStorage(await UsageAsync(caller, cancellationToken), bytes);
    }

    /// <summary>An upload of <paramref name="bytes"/> that will queue an ingest job: both checks on one reading of the person's use.</summary>
    public async Task CheckUploadAsync(Caller caller, long bytes, CancellationToken cancellationToken = default)
    {
        if (caller.IsAdmin)
            return;
        var usage = await UsageAsync(caller, cancellationToken);
        CheckStorage(usage, bytes);
        CheckJobs(usage);
    }

    private static void CheckJobs(Usage usage)
    {
        if (usage.ActiveJobs >= usage.ActiveJobsLimit)
            throw new QuotaExceededException($"You have {usage.ActiveJobs} jobs queued or running, your limit; wait for one to finish or cancel one.");
        if (usage.ComputeMinutes >= usage.ComputeMinutesLimit)
            throw new QuotaExceededException(
                $"Your jobs used {usage.ComputeMinutes:0} worker minutes in the last 24 hours, your limit of {usage.ComputeMinutesLimit:0}; try again later.");
    }

    private static void CheckStorage(Usage usage, long bytes)
    {
        if (usage.StorageBytes + bytes > usage.StorageBytesLimit)
            throw new QuotaExceededException(
                $"This would bring your datasets and checkpoints to {Mib(usage.StorageBytes + bytes)} MiB, over your {Mib(usage.StorageBytesLimit!.Value)} MiB; delete some first.");
    }

    private async Task<double> ComputeMinutesAsync(Microsoft.Data.Sqlite.SqliteConnection connection, string owner, CancellationToken cancellationToken)
    {
        var now = db.Time.GetUtcNow();
        var since = now.AddDays(-1);
        var runs = await connection.QueryAsync<(string StartedAt, string? FinishedAt)>(new CommandDefinition("""
            SELECT started_at, finished_at FROM jobs
            WHERE owner = @owner AND started_at IS NOT NULL AND (finished_at IS NULL OR finished_at > @since)
            """, new { owner, since = since.ToString("O", CultureInfo.InvariantCulture) }, cancellationToken: cancellationToken));
        double minutes = 0;
        foreach (var (startedAt, finishedAt) in runs)
        {
            var start = Max(DateTimeOffset.Parse(startedAt, CultureInfo.InvariantCulture), since);
            var end = finishedAt is null ? now : DateTimeOffset.Parse(finishedAt, CultureInfo.InvariantCulture);
            minutes += Math.Max(0, (end - start).TotalMinutes);
        }
        return minutes;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static long Mib(long bytes) => bytes >> 20;
}
