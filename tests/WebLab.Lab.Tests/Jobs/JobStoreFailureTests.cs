using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;

namespace WebLab.Lab.Tests.Jobs;

public sealed class JobStoreFailureTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private const string Worker = "host_a/train-0";

    [Fact]
    public async Task Fail_RetriesAPoisonJobUntilItsAttemptsRunOut_ThenFailsWithTheLastError()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.SubmitAsync(maxAttempts: 3);

        for (int attempt = 1; attempt <= 3; attempt++)
        {
            var claimed = await lab.Jobs.ClaimAsync(Lanes.Train, Worker, Lease);
            Assert.Equal((job.Id, attempt), (claimed?.Id, claimed?.Attempt));
            Assert.Null(claimed?.Error);
            var state = await lab.Jobs.FailAsync(job.Id, Worker, $"boom {attempt}", retryable: true);
            Assert.Equal(attempt < 3 ? JobState.Queued : JobState.Failed, state);
        }

        var failed = await lab.JobAsync(job.Id);
        Assert.Equal((JobState.Failed, 3, "boom 3", null, null),
            (failed.State, failed.Attempt, failed.Error, failed.LeaseOwner, failed.ResultJson));
        Assert.NotNull(failed.FinishedAt);
        Assert.Null(await lab.Jobs.ClaimAsync(Lanes.Train, Worker, Lease));
        var history = (await lab.Jobs.HistoryAsync(job.Id)).Select(h => (h.FromState, h.ToState, h.Attempt, h.Reason));
        Assert.Equal(
        [
            (null, JobState.Queued, 0, "submitted"),
            (JobState.Queued, JobState.Running, 1, $"claimed by {Worker}"),
            (JobState.Running, JobState.Queued, 1, "attempt 1 failed, retrying: boom 1"),
            (JobState.Queued, JobState.Running, 2, $"claimed by {Worker}"),
            (JobState.Running, JobState.Queued, 2, "attempt 2 failed, retrying: boom 2"),
            (JobState.Queued, JobState.Running, 3, $"claimed by {Worker}"),
            (JobState.Running, JobState.Failed, 3, "failed after 3 attempt(s): boom 3"),
        ], history);
    }

    [Fact]
    public async Task Fail_KeepsTheErrorOnTheRequeuedJob()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync(Worker, maxAttempts: 3);

        Assert.Equal(JobState.Queued, await lab.Jobs.FailAsync(job.Id, Worker, "out of memory", retryable: true));

        var queued = await lab.JobAsync(job.Id);
        Assert.Equal((JobState.Queued, 1, "out of memory", null), (queued.State, queued.Attempt, queued.Error, queued.LeaseOwner));
        Assert.Null(queued.FinishedAt);
    }

    [Fact]
    public async Task Fail_FailsAtOnce_WhenTheErrorIsNotRetryable()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync(Worker, maxAttempts: 3);

        Assert.Equal(JobState.Failed, await lab.Jobs.FailAsync(job.Id, Worker, "bad spec", retryable: false));

        var failed = await lab.JobAsync(job.Id);
        Assert.Equal((JobState.Failed, 1, "bad spec"), (failed.State, failed.Attempt, failed.Error));
        var last = (await lab.Jobs.HistoryAsync(job.Id))[^1];
        Assert.Equal((JobState.Running, JobState.Failed, 1, "failed: bad spec"), (last.FromState, last.ToState, last.Attempt, last.Reason));
        Assert.Null(await lab.Jobs.ClaimAsync(Lanes.Train, Worker, Lease));
    }

    [Fact]
    public async Task Interrupt_RequeuesWithoutSpendingAnAttempt()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync(Worker, maxAttempts: 1);

        // With a single attempt allowed, any attempt spent by the interruptions would make the final failure non-retryable earlier.
        for (int i = 0; i < 3; i++)
        {
            Assert.True(await lab.Jobs.InterruptAsync(job.Id, Worker, "SIGTERM"));
            var queued = await lab.JobAsync(job.Id);
            Assert.Equal((JobState.Queued, 0, null), (queued.State, queued.Attempt, queued.LeaseOwner));
            var last = (await lab.Jobs.HistoryAsync(job.Id))[^1];
            Assert.Equal((JobState.Running, JobState.Queued, 0, "interrupted: SIGTERM"),
                (last.FromState, last.ToState, last.Attempt, last.Reason));

            var again = await lab.Jobs.ClaimAsync(Lanes.Train, Worker, Lease);
            Assert.Equal((job.Id, 1), (again?.Id, again?.Attempt));
        }

        Assert.Equal(JobState.Failed, await lab.Jobs.FailAsync(job.Id, Worker, "boom", retryable: true));
    }

    [Fact]
    public async Task Cancel_StopsAQueuedJob()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.SubmitAsync();

        Assert.True(await lab.Jobs.CancelAsync(job.Id, "cancelled by alice"));

        var cancelled = await lab.JobAsync(job.Id);
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.NotNull(cancelled.FinishedAt);
        var last = (await lab.Jobs.HistoryAsync(job.Id))[^1];
        Assert.Equal((JobState.Queued, JobState.Cancelled, "cancelled by alice"), (last.FromState, last.ToState, last.Reason));
        Assert.Null(await lab.Jobs.ClaimAsync(Lanes.Train, Worker, Lease));
        Assert.False(await lab.Jobs.CancelAsync(job.Id, "again"));
    }

    [Fact]
    public async Task Cancel_StopsARunningJob_AndRejectsItsWorkerAfterwards()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync(Worker);

        Assert.True(await lab.Jobs.CancelAsync(job.Id, "cancelled by alice"));

        Assert.False(await lab.Jobs.CompleteAsync(job.Id, Worker, """{"acc":1}"""));
        Assert.False(await lab.Jobs.HeartbeatAsync(job.Id, Worker, Lease));
        Assert.Null(await lab.Jobs.AppendEventAsync(job.Id, Worker, "epoch", "{}"));
        Assert.Null(await lab.Jobs.FailAsync(job.Id, Worker, "killed", retryable: true));
        Assert.False(await lab.Jobs.InterruptAsync(job.Id, Worker, "SIGTERM"));
        var cancelled = await lab.JobAsync(job.Id);
        Assert.Equal((JobState.Cancelled, null, null, null, 0L),
            (cancelled.State, cancelled.LeaseOwner, cancelled.ResultJson, cancelled.Error, cancelled.LastSeq));
        Assert.Equal(JobState.Cancelled, (await lab.Jobs.HistoryAsync(job.Id))[^1].ToState);
        lab.Time.Advance(TimeSpan.FromHours(1));
        Assert.Empty(await lab.Jobs.RecoverExpiredAsync());
    }

    [Fact]
    public async Task Cancel_RefusesFinishedAndUnknownJobs()
    {
        await using var lab = await TempLab.CreateAsync();
        var succeeded = await lab.RunningAsync(Worker);
        Assert.True(await lab.Jobs.CompleteAsync(succeeded.Id, Worker, """{"acc":1}"""));
        var failed = await lab.RunningAsync(Worker);
        Assert.Equal(JobState.Failed, await lab.Jobs.FailAsync(failed.Id, Worker, "bad spec", retryable: false));

        Assert.False(await lab.Jobs.CancelAsync(succeeded.Id, "too late"));
        Assert.False(await lab.Jobs.CancelAsync(failed.Id, "too late"));
        Assert.False(await lab.Jobs.CancelAsync("job_0000000000000000", "who?"));

        var stillSucceeded = await lab.JobAsync(succeeded.Id);
        Assert.Equal((JobState.Succeeded, """{"acc":1}"""), (stillSucceeded.State, stillSucceeded.ResultJson));
        Assert.Equal(JobState.Failed, (await lab.JobAsync(failed.Id)).State);
        Assert.DoesNotContain(await lab.Jobs.HistoryAsync(succeeded.Id), h => h.ToState == JobState.Cancelled);
    }

    [Fact]
    public async Task Delete_RemovesOnlyFinishedJobs_WithTheirHistoryEventsAndMetrics()
    {
        await using var lab = await TempLab.CreateAsync();
        var done = await lab.RunningAsync(Worker);
        await lab.Jobs.AppendEventAsync(done.Id, Worker, "epoch", "{}", new MetricRecord { JobId = done.Id, Arm = "ft", ValuesJson = "{}" });
        Assert.True(await lab.Jobs.CompleteAsync(done.Id, Worker, "{}"));
        var running = await lab.RunningAsync(Worker);
        var queued = await lab.SubmitAsync();

        Assert.False(await lab.Jobs.DeleteAsync(running.Id));
        Assert.False(await lab.Jobs.DeleteAsync(queued.Id));
        Assert.True(await lab.Jobs.DeleteAsync(done.Id));

        Assert.Null(await lab.Jobs.GetAsync(done.Id));
        Assert.Empty(await lab.Jobs.HistoryAsync(done.Id));
        Assert.Empty(await lab.Jobs.EventsAsync(done.Id));
        Assert.Empty(await lab.Jobs.CurvesAsync(done.Id));
        Assert.NotNull(await lab.Jobs.GetAsync(running.Id));
        Assert.NotNull(await lab.Jobs.GetAsync(queued.Id));
    }
}
