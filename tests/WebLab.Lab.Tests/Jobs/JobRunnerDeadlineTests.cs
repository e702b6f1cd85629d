using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;

namespace WebLab.Lab.Tests.Jobs;

/// <summary>Every job has a wall-clock deadline, fixed at submit; a job past it is killed and ends TimedOut, not retried.</summary>
public sealed class JobRunnerDeadlineTests
{
    private static readonly string s_forever = $"echo $$ > pid; while :; do echo '{RunnerLab.LogEvent}'; sleep 0.05; done";

    [Fact]
    public async Task AJobPastItsDeadline_IsKilled_AndEndsTimedOut_WithoutARetry()
    {
        await using var runner = await RunnerLab.StartAsync(s_forever, o => o.Lease = TimeSpan.FromDays(1));
        var job = await runner.SubmitAsync(maxAttempts: 3, timeout: TimeSpan.FromMinutes(1));
        var running = await runner.UntilAsync(job.Id, j => j.LastSeq >= 2);
        Assert.Equal(60_000, running.TimeoutMs);
        Assert.Equal(runner.Lab.Time.GetUtcNow().ToUnixTimeMilliseconds() + 60_000, running.DeadlineMs);

        runner.Lab.Time.Advance(TimeSpan.FromSeconds(61));

        var timedOut = await runner.UntilAsync(job.Id, j => j.IsFinished);
        Assert.Equal(JobState.TimedOut, timedOut.State);
        Assert.Equal(1, timedOut.Attempt);
        Assert.Contains("ran past its deadline", timedOut.Error);
        Assert.StartsWith("timed out: the job ran past its deadline", (await runner.HistoryAsync(job.Id))[^1], StringComparison.Ordinal);
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(runner.Lab.Folder, "jobs", job.Id, "pid")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the worker still runs");
    }

    [Fact]
    public async Task TheDeadline_IsTheKindsUnlessTheSettingsSayOtherwise_AndIsStoredAtSubmit()
    {
        await using var runner = await RunnerLab.StartAsync("sleep 60", o => o.Limits.Deadlines["Analyse"] = TimeSpan.FromMinutes(7)); // setting keys are case-insensitive
        var (prediction, _) = await runner.Runner.SubmitAsync(RunnerLab.Prediction() with { Kind = PredictKind.Id });
        var (analysis, _) = await runner.Runner.SubmitAsync(RunnerLab.Prediction() with { Kind = AnalyseKind.Id });

        Assert.Equal((long)JobKinds.Of<PredictKind>().DefaultDeadline.TotalMilliseconds, prediction.TimeoutMs);
        Assert.Equal(7 * 60_000, analysis.TimeoutMs);
    }

    [Fact]
    public async Task ARetriedJob_KeepsTheDeadlineOfItsFirstStart()
    {
        await using var lab = await TempLab.CreateAsync();
        await lab.Jobs.SubmitAsync(RunnerLab.Prediction(), 3, TimeSpan.FromMinutes(10));
        var first = (await lab.Jobs.ClaimAsync(Lanes.Utility, "host_a/utility-0", TimeSpan.FromSeconds(30)))!;
        Assert.Equal(JobState.Queued, await lab.Jobs.FailAsync(first.Id, "host_a/utility-0", "crashed", retryable: true));

        lab.Time.Advance(TimeSpan.FromMinutes(3));
        var second = (await lab.Jobs.ClaimAsync(Lanes.Utility, "host_a/utility-0", TimeSpan.FromSeconds(30)))!;

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.DeadlineMs, second.DeadlineMs);
    }
}
