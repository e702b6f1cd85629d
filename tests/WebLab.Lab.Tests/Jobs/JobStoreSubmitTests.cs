using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;

namespace WebLab.Lab.Tests.Jobs;

public sealed class JobStoreSubmitTests
{
    [Fact]
    public async Task Submit_QueuesTheJob_WithAHistoryRow()
    {
        await using var lab = await TempLab.CreateAsync();

        var submission = new JobSubmission(ExperimentKind.Id, "alice", "first", """{"a":1}""", Priority: 2);

        var (job, created) = await lab.Jobs.SubmitAsync(submission, maxAttempts: 4);

        Assert.True(created);
        Assert.Equal(job, await lab.Jobs.GetAsync(job.Id));
        Assert.Equal((JobState.Queued, 0, 4, 2, Lanes.Train, "alice", """{"a":1}"""),
            (job.State, job.Attempt, job.MaxAttempts, job.Priority, job.Lane, job.Owner, job.SpecJson));
        Assert.Null(job.LeaseOwner);
        var history = Assert.Single(await lab.Jobs.HistoryAsync(job.Id));
        Assert.Equal(((JobState?)null, JobState.Queued, "submitted", 0), (history.FromState, history.ToState, history.Reason, history.Attempt));
    }

    [Fact]
    public async Task Submit_ReturnsTheFirstJob_WhenTheIdempotencyKeyRepeats()
    {
        await using var lab = await TempLab.CreateAsync();
        var submission = new JobSubmission(ExperimentKind.Id, "alice", "double click", "{}", IdempotencyKey: "click-1");

        var (first, firstCreated) = await lab.Jobs.SubmitAsync(submission, 3);
        var (second, secondCreated) = await lab.Jobs.SubmitAsync(submission with { Name = "second click" }, 3);

        Assert.True(firstCreated);
        Assert.False(secondCreated);
        Assert.Equal(first, second);
        Assert.Equal(1, await lab.Jobs.CountAsync(JobState.Queued));
        Assert.Single(await lab.Jobs.HistoryAsync(first.Id));
    }

    [Fact]
    public async Task Submit_CreatesOneJob_WhenTheSameKeyArrivesConcurrently()
    {
        await using var lab = await TempLab.CreateAsync();
        var submission = new JobSubmission(ExperimentKind.Id, "alice", "retry storm", "{}", IdempotencyKey: "storm");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => lab.Jobs.SubmitAsync(submission, 3))));

        Assert.Single(results, r => r.Created);
        Assert.Single(results.Select(r => r.Job.Id).Distinct());
        Assert.Equal(1, await lab.Jobs.CountAsync(JobState.Queued));
    }

    [Fact]
    public async Task Submit_CreatesSeparateJobs_ForDifferentOrNoKeys()
    {
        await using var lab = await TempLab.CreateAsync();

        await lab.SubmitAsync(key: "a");
        await lab.SubmitAsync(key: "b");
        await lab.SubmitAsync();
        await lab.SubmitAsync();

        Assert.Equal(4, await lab.Jobs.CountAsync(JobState.Queued));
    }

    [Fact]
    public async Task Submit_RejectsAnUnknownKind()
    {
        await using var lab = await TempLab.CreateAsync();

        var e = await Assert.ThrowsAsync<BadInputException>(() =>
            lab.Jobs.SubmitAsync(new JobSubmission("mine-bitcoin", "alice", "nope", "{}"), 3));

        Assert.Contains("mine-bitcoin", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, await lab.Jobs.CountAsync(JobState.Queued));
    }

    [Theory]
    [InlineData(IngestKind.Id, Lanes.Utility)]
    [InlineData(ImportKind.Id, Lanes.Utility)]
    [InlineData(PretrainKind.Id, Lanes.Train)]
    [InlineData(ExperimentKind.Id, Lanes.Train)]
    [InlineData(SweepKind.Id, Lanes.Train)]
    public async Task Submit_PutsEachKindInItsLane_AndOnlyThatLaneClaimsIt(string kind, string lane)
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.SubmitAsync(kind: kind);
        var otherLane = lane == Lanes.Train ? Lanes.Utility : Lanes.Train;

        Assert.Equal(lane, job.Lane);
        Assert.Null(await lab.Jobs.ClaimAsync(otherLane, "host_a/other-0", TimeSpan.FromSeconds(30)));
        Assert.Equal(job.Id, (await lab.Jobs.ClaimAsync(lane, "host_a/slot-0", TimeSpan.FromSeconds(30)))?.Id);
    }
}
