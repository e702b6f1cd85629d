using Dapper;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Tests.Storage;

public sealed class MigrationsTests
{
    [Fact]
    public async Task Migrate_BringsAFreshFileToTheLatestVersion_InWalMode()
    {
        await using var lab = TempLab.Empty();

        await lab.Db.MigrateAsync();

        await using var connection = await lab.Db.OpenAsync();
        Assert.True(Migrations.Latest >= 1);
        Assert.Equal(Migrations.Latest, await connection.ExecuteScalarAsync<long>("PRAGMA user_version;"));
        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode;"));
        var tables = (await connection.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table'")).ToHashSet();
        Assert.Superset(new HashSet<string> { "jobs", "job_history", "job_events", "metrics", "datasets", "checkpoints", "files" }, tables);
        Assert.Equal("ok", await lab.Db.IntegrityCheckAsync());
    }

    [Fact]
    public async Task Migrate_ChangesNothing_WhenRunAgain()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.SubmitAsync();
        var schemaBefore = await SchemaAsync(lab.Db);

        await lab.Db.MigrateAsync();

        Assert.Equal(schemaBefore, await SchemaAsync(lab.Db));
        await using var connection = await lab.Db.OpenAsync();
        Assert.Equal(Migrations.Latest, await connection.ExecuteScalarAsync<long>("PRAGMA user_version;"));
        Assert.Equal(job, await lab.Jobs.GetAsync(job.Id));
    }

    [Fact]
    public async Task Migrate_RefusesAFileFromANewerBuild()
    {
        await using var lab = await TempLab.CreateAsync();
        await using (var connection = await lab.Db.OpenAsync())
            await connection.ExecuteAsync($"PRAGMA user_version = {Migrations.Latest + 1};");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => lab.Db.MigrateAsync());

        Assert.Contains("newer", e.Message, StringComparison.Ordinal);
        await using var after = await lab.Db.OpenAsync();
        Assert.Equal(Migrations.Latest + 1, await after.ExecuteScalarAsync<long>("PRAGMA user_version;"));
    }

    [Fact]
    public void Migrations_AreNumberedFromOneWithoutGaps()
    {
        Assert.Equal(Enumerable.Range(1, Migrations.All.Count), Migrations.All.Select(m => m.Version));
        Assert.All(Migrations.All, m => Assert.False(string.IsNullOrWhiteSpace(m.Sql)));
    }

    [Fact]
    public async Task IntegrityCheck_ReportsAnIndexThatDisagreesWithItsTable()
    {
        await using var lab = await TempLab.CreateAsync();
        await lab.SubmitAsync(owner: "alice");
        await lab.SubmitAsync(owner: "bob");
        Assert.Equal("ok", await lab.Db.IntegrityCheckAsync());

        // Rewrite the index's declared columns behind SQLite's back: its stored entries no longer match the rows.
        await using (var connection = await lab.Db.OpenAsync())
        {
            await connection.ExecuteAsync("""
                PRAGMA writable_schema = ON;
                UPDATE sqlite_master SET sql = 'CREATE INDEX jobs_owner ON jobs (name, created_at)' WHERE name = 'jobs_owner';
                PRAGMA writable_schema = OFF;
                """);
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool(connection);
        }

        var report = await lab.Db.IntegrityCheckAsync();

        Assert.NotEqual("ok", report);
        Assert.Contains("jobs_owner", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version3_RebuildsTheJobsTable_KeepingEveryJobAndWhatReferencesIt()
    {
        await using var lab = TempLab.Empty();
        await using (var connection = await lab.Db.OpenAsync())
        {
            await connection.ExecuteAsync(Migrations.All[0].Sql + Migrations.All[1].Sql + "PRAGMA user_version = 2;");
            await connection.ExecuteAsync("""
                INSERT INTO jobs (id, kind, owner, name, spec_json, state, max_attempts, lane, created_at, last_seq, visibility)
                VALUES ('job_1', 'experiment', 'alice', 'old', '{}', 'succeeded', 3, 'train', '2026-01-01', 1, 'private');
                INSERT INTO job_history (job_id, from_state, to_state, reason, attempt, at) VALUES ('job_1', NULL, 'queued', 'submitted', 0, '2026-01-01');
                INSERT INTO job_events (job_id, seq, type, payload_json, at) VALUES ('job_1', 1, 'log', '{}', '2026-01-01');
                INSERT INTO checkpoints (id, name, owner, path, info_json, job_id, created_at) VALUES ('ckpt_1', 'c', 'alice', 'p', '{}', 'job_1', '2026-01-01');
                """);
        }

        await lab.Db.MigrateAsync();

        await using var after = await lab.Db.OpenAsync();
        Assert.Equal(1, await after.ExecuteScalarAsync<long>("SELECT count(*) FROM job_history WHERE job_id = 'job_1'"));
        Assert.Equal(1, await after.ExecuteScalarAsync<long>("SELECT count(*) FROM job_events WHERE job_id = 'job_1'"));
        Assert.Equal("job_1", await after.ExecuteScalarAsync<string>("SELECT job_id FROM checkpoints WHERE id = 'ckpt_1'"));
        var job = await lab.JobAsync("job_1");
        Assert.Equal(("old", JobState.Succeeded, (long?)null, Visibility.Private), (job.Name, job.State, job.TimeoutMs, job.Visibility));
        Assert.Empty(await after.QueryAsync("PRAGMA foreign_key_check"));
        Assert.Equal(1, await after.ExecuteScalarAsync<long>("PRAGMA foreign_keys")); // on again for the lab's writes
        await after.ExecuteAsync("UPDATE jobs SET state = 'timedout' WHERE id = 'job_1'"); // the new state passes the CHECK
        await after.ExecuteAsync("DELETE FROM jobs WHERE id = 'job_1'"); // and references still cascade
        Assert.Equal(0, await after.ExecuteScalarAsync<long>("SELECT count(*) FROM job_events"));
    }

    private static async Task<List<string>> SchemaAsync(Database db)
    {
        await using var connection = await db.OpenAsync();
        return (await connection.QueryAsync<string>(
            "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master ORDER BY name")).ToList();
    }
}
