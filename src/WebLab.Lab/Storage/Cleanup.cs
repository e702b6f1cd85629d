using Dapper;
using WebLab.Lab.Jobs;
using WebLab.Lab.Workers;

namespace WebLab.Lab.Storage;

/// <summary>What one cleanup pass removed.</summary>
public sealed record CleanupReport(int TempEntries, int Uploads, int Events, long TileBytes);

/// <summary>
/// Keeps the data folder from growing without bound: temporary files nobody finished with, uploads their jobs have
/// consumed, decoded tiles no job has loaded for a while, and the throttled progress events of ended jobs (their curves
/// stay in the metrics table). Then it
/// checkpoints the WAL. <see cref="LabMaintenance"/> runs it periodically; every step is safe while jobs run.
/// </summary>
public sealed class Cleanup(Database db, DataFolder folder, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <param name="orphanAge">Temporary files and unclaimed uploads untouched for this long are orphans (an upload in progress keeps writing).</param>
    /// <param name="tileIdle">Decoded tiles unused for this long go (null: kept).</param>
    public async Task<CleanupReport> RunAsync(TimeSpan orphanAge, TimeSpan? tileIdle = null, CancellationToken cancellationToken = default)
    {
        var temp = RemoveOldTemp(orphanAge);
        var uploads = await RemoveSpentUploadsAsync(orphanAge, cancellationToken);
        long tiles = tileIdle is { } idle ? folder.TileCache.RemoveUnused(_time.GetUtcNow() - idle) : 0;
        var events = await ThinEventsAsync(cancellationToken);
        await db.CheckpointAsync(cancellationToken);
        return new CleanupReport(temp, uploads, events, tiles);
    }

    private bool Old(FileSystemInfo entry, TimeSpan age) => _time.GetUtcNow().UtcDateTime - entry.LastWriteTimeUtc > age;

    /// <summary>Files and staging folders in tmp/ left by uploads or writes that never finished (a crash, a dropped connection).</summary>
    private int RemoveOldTemp(TimeSpan age)
    {
        int removed = 0;
        foreach (var entry in new DirectoryInfo(folder.Temp).EnumerateFileSystemInfos().Where(e => Old(e, age)))
        {
            if (entry is DirectoryInfo directory)
                directory.Delete(recursive: true);
            else
                entry.Delete();
            removed++;
        }
        return removed;
    }

    /// <summary>
    /// Uploads whose every job has ended (an import registered its checkpoint, a prediction answered, or they failed for
    /// good), and uploads no job names that are older than <paramref name="age"/> (their submission never happened).
    /// </summary>
    private async Task<int> RemoveSpentUploadsAsync(TimeSpan age, CancellationToken cancellationToken)
    {
        Dictionary<string, bool> spent; // upload name -> every job naming it has ended
        await using (var connection = await db.OpenAsync(cancellationToken))
        {
            var uses = await connection.QueryAsync<(string Upload, string State)>(new CommandDefinition("""
                SELECT json_extract(spec_json, '$.upload'), state FROM jobs WHERE json_extract(spec_json, '$.upload') IS NOT NULL
                """, cancellationToken: cancellationToken));
            spent = uses.GroupBy(u => u.Upload).ToDictionary(g => g.Key, g => g.All(u => Enum.Parse<JobState>(u.State, ignoreCase: true).IsFinished()));
        }
        int removed = 0;
        foreach (var file in new DirectoryInfo(folder.Uploads).EnumerateFiles())
        {
            if (spent.TryGetValue(file.Name, out var done) ? done : Old(file, age))
            {
                file.Delete();
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Ended jobs keep the last of each transient event type (their final progress) and every other event.</summary>
    private async Task<int> ThinEventsAsync(CancellationToken cancellationToken)
    {
        var (connection, transaction) = await db.BeginWriteAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var removed = await connection.ExecuteAsync(new CommandDefinition("""
                DELETE FROM job_events
                WHERE type IN @transient
                  AND job_id IN (SELECT id FROM jobs WHERE state IN @finished)
                  AND seq < (SELECT MAX(seq) FROM job_events AS last WHERE last.job_id = job_events.job_id AND last.type = job_events.type)
                """, new { transient = JobEventTypes.Transient, finished = JobStates.Finished.Select(s => s.Stored()) }, transaction,
                cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return removed;
        }
    }
}
