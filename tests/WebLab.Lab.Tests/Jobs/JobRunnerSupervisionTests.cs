using WebLab.Lab.Jobs;

namespace WebLab.Lab.Tests.Jobs;

/// <summary>The runner's supervision under faults: a failing heartbeat, an unrecordable event, a deadlocked worker.</summary>
public sealed class JobRunnerSupervisionTests
{
    /// <summary>A worker that logs every 50 ms for about <paramref name="seconds"/> s, then succeeds.</summary>
    private static string Working(int seconds) =>
        $"i=0; while [ $i -lt {seconds * 20} ]; do echo '{RunnerLab.LogEvent}'; i=$((i+1)); sleep 0.05; done; echo '{RunnerLab.PredictResult}'";

    /// <summary>Only the progress rule may end these workers: leases and silence are given all the time the manual clock needs.</summary>
    private static void Patient(LabOptions options)
    {
        options.Lease = TimeSpan.FromDays(1);
        options.WorkerStallTimeout = TimeSpan.FromDays(1);
    }

    [Fact]
    public async Task Heartbeat_GoesOnAfterTransientDatabaseErrors_AndTheJobSucceeds()
    {
        await using var runner = await RunnerLab.StartAsync(Working(6));
        await runner.FaultAsync("heartbeat", on: true);
        var job = await runner.SubmitAsync();
        var running = await runner.UntilAsync(job.Id, j => j.State == JobState.Running && j.LastSeq > 5);
        await Task.Delay(300); // several heartbeats fail meanwhile

        await runner.FaultAsync("heartbeat", on: false);
        runner.Lab.Time.Advance(TimeSpan.FromSeconds(10));

        // Renewed on the manual clock: the loop outlived its errors (it used to end at the first one).
        await runner.UntilAsync(job.Id, j => j.LeaseExpiresMs > running.LeaseExpiresMs + 5_000, TimeSpan.FromSeconds(3));
        var done = await runner.UntilAsync(job.Id, j => j.IsFinished);
        Assert.Equal(JobState.Succeeded, done.State);
    }

    [Fact]
    public async Task AnEventThatCannotBeRecorded_StopsTheWorker_AndFailsTheJob()
    {
        await using var runner = await RunnerLab.StartAsync($"echo $$ > pid; while :; do echo '{RunnerLab.LogEvent}'; sleep 0.05; done");
        var job = await runner.SubmitAsync(maxAttempts: 2);
        await runner.UntilAsync(job.Id, j => j.LastSeq > 3);

        await runner.FaultAsync("events", on: true);

        var failed = await runner.UntilAsync(job.Id, j => j.State == JobState.Failed);
        Assert.Contains("could not record the job's events", failed.Error);
        Assert.Contains(await runner.HistoryAsync(job.Id), r => r.StartsWith("attempt 1 failed, retrying: the lab could not record", StringComparison.Ordinal));
        Assert.Null(failed.LeaseOwner);
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(runner.Lab.Folder, "jobs", job.Id, "pid")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the worker still runs");
        Assert.Empty(runner.Runner.Running);
    }

    [Fact]
    public async Task ADeadlockedWorker_WhoseTimerStillSendsKeepAlives_IsKilledAndRetried()
    {
        // One event, then only keep-alives with a frozen progress counter: the work is stuck, the process is not.
        var stuck = $"echo '{RunnerLab.LogEvent}'; while :; do echo '{{\"type\":\"alive\",\"progress\":1}}'; sleep 0.05; done";
        await using var runner = await RunnerLab.StartAsync(stuck, Patient);
        var job = await runner.SubmitAsync(maxAttempts: 2);
        await runner.UntilAsync(job.Id, j => j.LastSeq >= 1);
        await Task.Delay(200); // keep-alives arrive; none counts as progress

        runner.Lab.Time.Advance(TimeSpan.FromMinutes(16));

        var requeued = await runner.UntilAsync(job.Id, j => j.Attempt == 2 || j.IsFinished);
        Assert.Contains(await runner.HistoryAsync(job.Id),
            r => r.StartsWith("attempt 1 failed, retrying: the worker made no progress for 900 s", StringComparison.Ordinal));
        Assert.Equal(2, requeued.Attempt);
    }

    [Fact]
    public async Task AWorkerThatKeepsWorking_IsNotKilled_WhenTheClockMovesOn()
    {
        await using var runner = await RunnerLab.StartAsync(Working(2), Patient);
        var job = await runner.SubmitAsync();
        await runner.UntilAsync(job.Id, j => j.LastSeq >= 3);

        for (int i = 0; i < 3; i++) // 42 minutes in all, never 15 without an event
        {
            runner.Lab.Time.Advance(TimeSpan.FromMinutes(14));
            await Task.Delay(200);
        }

        var done = await runner.UntilAsync(job.Id, j => j.IsFinished);
        Assert.Equal(JobState.Succeeded, done.State);
    }
}
