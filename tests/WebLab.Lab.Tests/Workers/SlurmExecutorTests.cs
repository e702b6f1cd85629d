using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Workers;
using WebLab.Lab.Workers.Executors;

namespace WebLab.Lab.Tests.Workers;

/// <summary>
/// The Slurm executor's text: the batch script it submits and how it reads sacct and scontrol. The executor against
/// real daemons is tested in WebLab.Web.Tests (SlurmTests).
/// </summary>
public sealed class SlurmExecutorTests
{
    private static WorkerLaunch Launch(int tasks) => new(
        new JobRecord
        {
            Id = "job_7", Kind = "sweep", Owner = "alice", Name = "x", SpecJson = "{}", State = JobState.Running, Lane = Lanes.Train,
            Attempt = 2, CreatedAt = "2026-12-03T00:00:00Z",
        },
        new WorkerJob("job_7", "sweep", "auto", "/shared/lab/jobs/job_7", JsonSerializer.SerializeToElement(new { })),
        tasks, new Dictionary<string, string> { ["WEBLAB_CACHE"] = "/shared/lab/cache it's" }, DateTimeOffset.UtcNow.AddMinutes(90));

    private static SlurmExecutor Executor(SlurmOptions options) =>
        new(options, null, new RemoteWorkers(new AttemptTokens(new EphemeralDataProtectionProvider())), () => "http://head:5180",
            TimeProvider.System, NullLogger.Instance);

    [Fact]
    public void TheBatchScript_AsksForWhatTheSettingsSay_AndRunsTheWorkerOnItsTask()
    {
        var options = new SlurmOptions
        {
            Partition = "gpu", Account = "vision-lab", GpusPerJob = 1, CpusPerJob = 8, Memory = "32G",
            ExtraArguments = ["--qos=short"], WorkerCommand = "/shared/weblab/weblab",
        };
        var lines = Executor(options).BatchScript(Launch(tasks: 3)).Split('\n');
        Assert.Equal("#!/bin/bash", lines[0]);
        string[] expected =
        [
            "#SBATCH --job-name=weblab-job_7", "#SBATCH --no-requeue", "#SBATCH --partition=gpu", "#SBATCH --account=vision-lab",
            "#SBATCH --gres=gpu:1", "#SBATCH --cpus-per-task=8", "#SBATCH --mem=32G", "#SBATCH --array=0-2", "#SBATCH --qos=short",
            "#SBATCH --output=/shared/lab/jobs/job_7/slurm-2-%a.out",
        ];
        Assert.All(expected, line => Assert.Contains(line, lines));
        var minutes = int.Parse(lines.Single(l => l.StartsWith("#SBATCH --time=", StringComparison.Ordinal))["#SBATCH --time=".Length..],
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(minutes, 89, 91); // the job's deadline
        Assert.Contains("export WEBLAB_CACHE='/shared/lab/cache it'\\''s'", lines);
        Assert.Equal("exec /shared/weblab/weblab worker --job '/shared/lab/jobs/job_7/job-2.json' --task \"$SLURM_ARRAY_TASK_ID\"", lines.Last(l => l.Length > 0));
    }

    [Fact]
    public void AOneTaskJob_IsNoArray_AndAsksForNoGpuWhenNoneIsSet()
    {
        var script = Executor(new SlurmOptions { WorkerCommand = "weblab" }).BatchScript(Launch(tasks: 1));
        Assert.DoesNotContain("--array", script, StringComparison.Ordinal);
        Assert.DoesNotContain("--gres", script, StringComparison.Ordinal);
        Assert.DoesNotContain("--partition", script, StringComparison.Ordinal);
        Assert.DoesNotContain("--task", script, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --output=/shared/lab/jobs/job_7/slurm-2.out", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Sacct_TasksAndRangesAreRead_AndOtherJobsIgnored()
    {
        var states = SlurmStates.FromSacct("""
            17_0|COMPLETED|0:0
            17_1|CANCELLED by 0|0:15
            17_[2-4,6%2]|PENDING|0:0
            18|FAILED|1:0
            """, "17");
        Assert.Equal([0, 1, 2, 3, 4, 6], states.Keys.Order());
        Assert.Equal("CANCELLED", states[1].Name);
        Assert.Equal(15, states[1].Signal);
        Assert.Equal(0, SlurmStates.FromSacct("17|RUNNING|0:0", "17").Keys.Single());
    }

    [Fact]
    public void Scontrol_OneLinePerArrayElement_PendingOnesAsARange()
    {
        var states = SlurmStates.FromScontrol("""
            JobId=21 ArrayJobId=20 ArrayTaskId=1 JobName=weblab-job_7 JobState=RUNNING Reason=None ExitCode=0:0
            JobId=20 ArrayJobId=20 ArrayTaskId=2-3 JobName=weblab-job_7 JobState=PENDING Reason=Resources ExitCode=0:0
            JobId=22 ArrayJobId=20 ArrayTaskId=0 JobName=weblab-job_7 JobState=NODE_FAIL Reason=NodeDown ExitCode=0:15
            """);
        Assert.Equal(["NODE_FAIL", "RUNNING", "PENDING", "PENDING"], Enumerable.Range(0, 4).Select(t => states[t].Name));
    }

    [Theory]
    [InlineData("PENDING", 0, 0, true, null)]
    [InlineData("RUNNING", 0, 0, false, null)]
    [InlineData("COMPLETED", 0, 0, false, WorkerExit.Succeeded)]
    [InlineData("NODE_FAIL", 0, 15, false, WorkerExit.Interrupted)] // requeued without spending an attempt
    [InlineData("PREEMPTED", 0, 15, false, WorkerExit.Interrupted)]
    [InlineData("CANCELLED", 0, 15, false, WorkerExit.Interrupted)]
    [InlineData("OUT_OF_MEMORY", 0, 9, false, 137)]
    [InlineData("TIMEOUT", 0, 15, false, WorkerExit.Failed)]
    [InlineData("FAILED", 0, 11, false, 139)]
    [InlineData("FAILED", 2, 0, false, 2)]
    public void EachStateMeans_WaitingRunningOrAnEnd(string state, int exit, int signal, bool waiting, int? code)
    {
        var view = SlurmStates.View(new SlurmStates.State(state, exit, signal));
        Assert.Equal(waiting, view.Waiting);
        Assert.Equal(code, view.Ended?.Code);
    }
}
