using System.Collections.Concurrent;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;

namespace WebLab.Lab.Tests.Jobs;

public sealed class JobStoreClaimTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Claim_MarksTheJobRunning_UnderTheLease()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.SubmitAsync();

        var claimed = await lab.Jobs.ClaimAsync(Lanes.Train, "host_a/train-0", Lease, "cuda:1");

        Assert.NotNull(claimed);
        Assert.Equal(job.Id, claimed.Id);
        Assert.Equal((JobState.Running, 1, "host_a/train-0", "cuda:1"), (claimed.State, claimed.Attempt, claimed.LeaseOwner, claimed.Device));
        var now = lab.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(now + 30_000, claimed.LeaseExpiresMs);
        Assert.Equal(now, claimed.ClaimedMs);
        Assert.NotNull(claimed.StartedAt);
        Assert.Equal(claimed, await lab.Jobs.GetAsync(job.Id));
        var history = await lab.Jobs.HistoryAsync(job.Id);
        Assert.Equal((JobState.Queued, JobState.Running, "claimed by host_a/train-0", 1),
            (history[^1].FromState, history[^1].ToState, history[^1].Reason, history[^1].Attempt));
        Assert.Null(await lab.Jobs.ClaimAsync(Lanes.Train, "host_a/train-1", Lease));
    }

    [Fact]
    public async Task Claim_ReturnsEachJobOnce_WhenFourWorkersRace()
    {
        await using var lab = await TempLab.CreateAsync();
        var submitted = new List<string>();
        for (int i = 0; i < 60; i++)
            submitted.Add((await lab.SubmitAsync(owner: $"user{i % 3}")).Id);
        var claims = new ConcurrentBag<(string Worker, string JobId)>();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var worker = $"host_a/train-{w}";
            while (await lab.Jobs.ClaimAsync(Lanes.Train, worker, Lease) is { } job)
            {
                Assert.Equal(worker, job.LeaseOwner);
                claims.Add((worker, job.Id));
            }
        })));

        Assert.Equal(60, claims.Count);
        Assert.Equal(submitted.Order(StringComparer.Ordinal), claims.Select(c => c.JobId).Order(StringComparer.Ordinal));
        Assert.Equal(0, await lab.Jobs.CountAsync(JobState.Queued));
        Assert.Equal(60, await lab.Jobs.CountAsync(JobState.Running));
        foreach (var (worker, jobId) in claims)
        {
            var job = await lab.JobAsync(jobId);
            Assert.Equal((worker, 1), (job.LeaseOwner, job.Attempt));
            Assert.Single(await lab.Jobs.HistoryAsync(jobId), h => h.ToState == JobState.Running);
        }
    }

    [Fact]
    public async Task Claim_ServesOwnersRoundRobin_AndQueuePositionsPredictIt()
    {
        await using var lab = await TempLab.CreateAsync();
        var a = new List<string>();
        var b = new List<string>();
        for (int i = 0; i < 5; i++)
            a.Add((await SubmitInOrderAsync(lab, "anna")).Id);
        for (int i = 0; i < 2; i++)
            b.Add((await SubmitInOrderAsync(lab, "ben")).Id);

        var positions = await lab.Jobs.QueuePositionsAsync(Lanes.Train);
        var order = await ClaimAllAsync(lab);

        // Anna was first, so she is served first; then Ben (never served) comes before her second job, and so on.
        Assert.Equal([a[0], b[0], a[1], b[1], a[2], a[3], a[4]], order);
        Assert.Equal(order, positions.OrderBy(p => p.Value).Select(p => p.Key));
    }

    [Fact]
    public async Task Claim_ServesOwnersRoundRobin_WhenClaimsShareAMillisecond()
    {
        await using var lab = await TempLab.CreateAsync();
        var a = new List<string>();
        var b = new List<string>();
        for (int i = 0; i < 3; i++)
            a.Add((await SubmitInOrderAsync(lab, "anna")).Id);
        for (int i = 0; i < 2; i++)
            b.Add((await SubmitInOrderAsync(lab, "ben")).Id);
        var positions = await lab.Jobs.QueuePositionsAsync(Lanes.Train);

        // Several idle slots woken together claim back to back; the fake clock does not move between their claims.
        var order = new List<string>();
        while (await lab.Jobs.ClaimAsync(Lanes.Train, $"host_a/train-{order.Count}", Lease) is { } job)
            order.Add(job.Id);

        Assert.Equal([a[0], b[0], a[1], b[1], a[2]], order);
        Assert.Equal(order, positions.OrderBy(p => p.Value).Select(p => p.Key));
    }

    [Fact]
    public async Task Claim_TakesHigherPriorityFirst_EvenFromTheOwnerJustServed()
    {
        await using var lab = await TempLab.CreateAsync();
        var a1 = (await SubmitInOrderAsync(lab, "anna")).Id;
        var a2 = (await SubmitInOrderAsync(lab, "anna")).Id;
        var b1 = (await SubmitInOrderAsync(lab, "ben")).Id;
        var urgent = (await SubmitInOrderAsync(lab, "anna", priority: 5)).Id;
        var urgentToo = (await SubmitInOrderAsync(lab, "anna", priority: 5)).Id;

        var positions = await lab.Jobs.QueuePositionsAsync(Lanes.Train);
        var order = await ClaimAllAsync(lab);

        // Both priority-5 jobs go first although the second one's owner was just served; fairness only orders equal priorities.
        Assert.Equal([urgent, urgentToo, b1, a1, a2], order);
        Assert.Equal(order, positions.OrderBy(p => p.Value).Select(p => p.Key));
    }

    [Fact]
    public async Task QueuePositions_AccountForOwnersServedEarlier()
    {
        await using var lab = await TempLab.CreateAsync();
        await SubmitInOrderAsync(lab, "anna");
        Assert.NotNull(await lab.Jobs.ClaimAsync(Lanes.Train, "host_a/train-0", Lease));
        lab.Time.Advance(TimeSpan.FromSeconds(1));
        var a2 = (await SubmitInOrderAsync(lab, "anna")).Id;
        var b1 = (await SubmitInOrderAsync(lab, "ben")).Id;
        var utility = (await lab.SubmitAsync(kind: IngestKind.Id)).Id;

        var positions = await lab.Jobs.QueuePositionsAsync(Lanes.Train);

        // Anna was served a moment ago, so Ben's later job is ahead of hers; the running job and other lanes are not in line.
        Assert.Equal(new Dictionary<string, int> { [b1] = 1, [a2] = 2 }, positions);
        Assert.Equal(new Dictionary<string, int> { [utility] = 1 }, await lab.Jobs.QueuePositionsAsync(Lanes.Utility));
        Assert.Equal([b1, a2], await ClaimAllAsync(lab));
    }

    [Fact]
    public async Task Claim_IsFifoPerOwner_ForJobsSubmittedInQuickSuccession()
    {
        await using var lab = await TempLab.CreateAsync();
        var submitted = new List<string>();
        int sameMillisecond = 0;
        // Submit back to back until ten neighbours share an id's time stamp ("job_" + 9 characters): each such pair
        // is a coin toss for the id order, so a misordered queue shows up with near certainty.
        while (sameMillisecond < 10 && submitted.Count < 1000)
        {
            submitted.Add((await lab.SubmitAsync(owner: "anna")).Id);
            if (submitted.Count > 1 && submitted[^1].AsSpan(0, 13).SequenceEqual(submitted[^2].AsSpan(0, 13)))
                sameMillisecond++;
        }

        Assert.Equal(submitted, await ClaimAllAsync(lab));
    }

    /// <summary>
    /// Submits after the wall clock has moved on a millisecond: job ids (the FIFO tie-break) only order jobs
    /// created in different milliseconds (see Claim_IsFifoPerOwner_ForJobsSubmittedInQuickSuccession).
    /// </summary>
    private static async Task<JobRecord> SubmitInOrderAsync(TempLab lab, string owner, int priority = 0)
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() == start)
            await Task.Yield();
        return await lab.SubmitAsync(owner: owner, priority: priority);
    }

    /// <summary>Claims the lane empty, one second apart (claims in the same millisecond tie on "served least recently").</summary>
    private static async Task<List<string>> ClaimAllAsync(TempLab lab)
    {
        var order = new List<string>();
        while (await lab.Jobs.ClaimAsync(Lanes.Train, "host_a/train-0", Lease) is { } job)
        {
            order.Add(job.Id);
            lab.Time.Advance(TimeSpan.FromSeconds(1));
        }
        return order;
    }
}
