using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;

namespace WebLab.Lab.Tests.Jobs;

public sealed class JobStoreLeaseTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RecoverExpired_RequeuesAJobWhoseLeaseRanOut_KeepingTheAttempt()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync("host_a/train-0", lease: Lease);

        lab.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(await lab.Jobs.RecoverExpiredAsync());
        Assert.Equal(JobState.Running, (await lab.JobAsync(job.Id)).State);

        lab.Time.Advance(TimeSpan.FromSeconds(2));
        var touched = await lab.Jobs.RecoverExpiredAsync();

        Assert.Equal([(job.Id, JobState.Queued)], touched);
        var requeued = await lab.JobAsync(job.Id);
        Assert.Equal((JobState.Queued, 1, null, null), (requeued.State, requeued.Attempt, requeued.LeaseOwner, requeued.LeaseExpiresMs));
        var history = await lab.Jobs.HistoryAsync(job.Id);
        Assert.Equal((JobState.Running, JobState.Queued, 1), (history[^1].FromState, history[^1].ToState, history[^1].Attempt));
        Assert.Contains("lease of host_a/train-0 expired", history[^1].Reason, StringComparison.Ordinal);
        Assert.Empty(await lab.Jobs.RecoverExpiredAsync());

        var again = await lab.Jobs.ClaimAsync(Lanes.Train, "host_a/train-1", Lease);
        Assert.Equal((job.Id, 2), (again?.Id, again?.Attempt));
    }

    [Fact]
    public async Task RecoverExpired_LeavesAJobAlone_WhileItsWorkerHeartbeats()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync("host_a/train-0", lease: Lease);

        lab.Time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(await lab.Jobs.HeartbeatAsync(job.Id, "host_a/train-0", Lease));
        lab.Time.Advance(TimeSpan.FromSeconds(20)); // 40 s after the claim, 20 s after the heartbeat

        Assert.Empty(await lab.Jobs.RecoverExpiredAsync());
        var running = await lab.JobAsync(job.Id);
        Assert.Equal((JobState.Running, "host_a/train-0"), (running.State, running.LeaseOwner));
        Assert.Equal(lab.Time.GetUtcNow().ToUnixTimeMilliseconds() + 10_000, running.LeaseExpiresMs);

        lab.Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal([(job.Id, JobState.Queued)], await lab.Jobs.RecoverExpiredAsync());
    }

    [Fact]
    public async Task RecoverExpired_FailsTheJob_WhenItsLastAttemptIsLost()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync("host_a/train-0", maxAttempts: 1, lease: Lease);

        lab.Time.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal([(job.Id, JobState.Failed)], await lab.Jobs.RecoverExpiredAsync());
        var failed = await lab.JobAsync(job.Id);
        Assert.Equal((JobState.Failed, 1, null), (failed.State, failed.Attempt, failed.LeaseOwner));
        Assert.NotNull(failed.FinishedAt);
        Assert.Contains("stopped answering", failed.Error, StringComparison.Ordinal);
        Assert.Null(await lab.Jobs.ClaimAsync(Lanes.Train, "host_a/train-0", Lease));
    }

    [Fact]
    public async Task ZombieWorker_CanChangeNothing_AfterItsJobWasRequeuedAndReclaimed()
    {
        await using var lab = await TempLab.CreateAsync();
        const string zombie = "host_a/train-0", heir = "host_a/train-1";
        var job = await lab.RunningAsync(zombie, lease: Lease);
        Assert.Equal(1, await lab.Jobs.AppendEventAsync(job.Id, zombie, "epoch", """{"by":"zombie"}"""));
        lab.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Single(await lab.Jobs.RecoverExpiredAsync());
        Assert.NotNull(await lab.Jobs.ClaimAsync(Lanes.Train, heir, Lease));
        Assert.Equal(2, await lab.Jobs.AppendEventAsync(job.Id, heir, "epoch", """{"by":"heir"}"""));
        Assert.True(await lab.Jobs.SetProgressAsync(job.Id, heir, """{"by":"heir"}"""));
        var before = await lab.JobAsync(job.Id);
        var historyBefore = await lab.Jobs.HistoryAsync(job.Id);

        Assert.False(await lab.Jobs.HeartbeatAsync(job.Id, zombie, TimeSpan.FromHours(1)));
        Assert.Null(await lab.Jobs.AppendEventAsync(job.Id, zombie, "epoch", """{"by":"zombie"}""",
            new MetricRecord { JobId = job.Id, Arm = "zombie", ValuesJson = "{}" }));
        Assert.False(await lab.Jobs.SetProgressAsync(job.Id, zombie, """{"by":"zombie"}"""));
        Assert.False(await lab.Jobs.CompleteAsync(job.Id, zombie, """{"by":"zombie"}"""));
        Assert.Null(await lab.Jobs.FailAsync(job.Id, zombie, "zombie error", retryable: true));
        Assert.Null(await lab.Jobs.FailAsync(job.Id, zombie, "zombie error", retryable: false));
        Assert.False(await lab.Jobs.InterruptAsync(job.Id, zombie, "zombie"));

        var after = await lab.JobAsync(job.Id);
        Assert.Equal(before, after);
        Assert.Equal((JobState.Running, heir, 2, 2L, null, null),
            (after.State, after.LeaseOwner, after.Attempt, after.LastSeq, after.ResultJson, after.Error));
        Assert.Equal(historyBefore, await lab.Jobs.HistoryAsync(job.Id));
        Assert.Equal([1L, 2L], (await lab.Jobs.EventsAsync(job.Id)).Select(e => e.Seq));
        Assert.Empty(await lab.Jobs.CurvesAsync(job.Id));
        Assert.True(await lab.Jobs.CompleteAsync(job.Id, heir, """{"by":"heir"}"""));
    }

    [Fact]
    public async Task RecoverOrphans_RequeuesRunningJobsOfAHostThatIsGone()
    {
        await using var lab = await TempLab.CreateAsync();
        var orphan = await lab.RunningAsync("host_a/train-0", lease: Lease);
        var queued = await lab.SubmitAsync();

        var touched = await lab.Jobs.RecoverOrphansAsync("host_b");

        Assert.Equal([(orphan.Id, JobState.Queued)], touched);
        var job = await lab.JobAsync(orphan.Id);
        Assert.Equal((JobState.Queued, 1, null), (job.State, job.Attempt, job.LeaseOwner));
        Assert.Contains("host_a/train-0 is gone", (await lab.Jobs.HistoryAsync(orphan.Id))[^1].Reason, StringComparison.Ordinal);
        Assert.Equal(JobState.Queued, (await lab.JobAsync(queued.Id)).State);
    }

    [Fact]
    public async Task RecoverOrphans_KeepsTheLiveHostsJobs_WithTimeLeftOnTheirLease()
    {
        await using var lab = await TempLab.CreateAsync();
        var mine = await lab.RunningAsync("host_a/train-0", lease: Lease);
        lab.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.Empty(await lab.Jobs.RecoverOrphansAsync("host_a"));

        var job = await lab.JobAsync(mine.Id);
        Assert.Equal((JobState.Running, "host_a/train-0"), (job.State, job.LeaseOwner));
    }

    [Fact]
    public async Task RecoverOrphans_RecoversAHostWhoseIdOnlyStartsLikeTheLiveOne()
    {
        await using var lab = await TempLab.CreateAsync();
        var other = await lab.RunningAsync("host_ab/train-0", lease: Lease);

        Assert.Equal([(other.Id, JobState.Queued)], await lab.Jobs.RecoverOrphansAsync("host_a"));
    }

    [Fact]
    public async Task RecoverOrphans_TreatsTheLiveHostIdLiterally()
    {
        await using var lab = await TempLab.CreateAsync();
        var other = await lab.RunningAsync("hostXa/train-0", lease: Lease);

        Assert.Equal([(other.Id, JobState.Queued)], await lab.Jobs.RecoverOrphansAsync("host_a"));
    }
}
