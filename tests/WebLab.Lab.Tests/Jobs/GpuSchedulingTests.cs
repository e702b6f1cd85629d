using WebLab.Lab.Jobs;

namespace WebLab.Lab.Tests.Jobs;

/// <summary>
/// GPU scheduling on this CPU-only machine: a fake device inventory stands for what the workers' TorchSharp backend
/// reports, and each worker (a shell script) records the CUDA_VISIBLE_DEVICES and device it was started with.
/// </summary>
public sealed class GpuSchedulingTests
{
    private sealed class FakeInventory(int gpus) : IDeviceInventory
    {
        public Task<int> CudaDevicesAsync(CancellationToken cancellationToken) => Task.FromResult(gpus);
    }

    /// <summary>
    /// Writes "CUDA_VISIBLE_DEVICES|device" to seen-N in its job folder; a pretraining job then holds its slot for
    /// <paramref name="trainSeconds"/> and stops (bad input), a prediction succeeds at once.
    /// </summary>
    private static string Recorder(double trainSeconds) =>
        $$"""
        device=$(grep -o '"device": *"[^"]*"' "$3" | head -1 | sed 's/.*: *"\(.*\)"/\1/')
        printf '%s|%s' "${CUDA_VISIBLE_DEVICES-unset}" "$device" > "seen-$(basename "$3")"
        if grep -q '"kind": *"pretrain"' "$3"; then
          sleep {{trainSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}}
          echo '{"type":"error","message":"recorded","retryable":false}'
          exit 2
        fi
        echo '{{RunnerLab.PredictResult}}'
        """;

    private static void AutoDevice(LabOptions options)
    {
        options.Device = "auto";
        options.TrainWorkers = 0;
    }

    private static JobSubmission Pretraining() =>
        new("pretrain", "alice", "pretrain", """{"dataset":"fashion-mnist","architecture":"resnet8","epochs":1}""");

    private static async Task<JobRecord> SubmitAsync(RunnerLab runner, JobSubmission submission)
    {
        var (job, _) = await runner.Lab.Jobs.SubmitAsync(submission, 1, TimeSpan.FromDays(1));
        runner.Runner.Wake(job.Lane);
        return job;
    }

    /// <summary>What the job's worker was started with: (CUDA_VISIBLE_DEVICES or "unset", the device in its job file).</summary>
    private static async Task<(string Visible, string Device)> SeenAsync(RunnerLab runner, string jobId)
    {
        var file = Path.Combine(runner.Lab.Folder, "jobs", jobId, "seen-job-1.json");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!File.Exists(file) && DateTime.UtcNow < deadline)
            await Task.Delay(25);
        var parts = (await File.ReadAllTextAsync(file)).Split('|');
        return (parts[0], parts[1]);
    }

    [Theory]
    [InlineData("auto", 0, 0, new[] { "cpu" })]
    [InlineData("auto", 0, 2, new[] { "cuda:0", "cuda:1" })]
    [InlineData("cuda", 0, 0, new[] { "cpu" })]
    [InlineData("cpu", 0, 2, new[] { "cpu" })]
    [InlineData("auto", 3, 2, new[] { "cuda:0", "cuda:1", "cpu" })]
    [InlineData("cpu", 2, 2, new[] { "cpu", "cpu" })]
    public void TrainSlots_FollowWhatTheWorkersCanUse(string device, int workers, int gpus, string[] expected) =>
        Assert.Equal(expected, SlotDevice.TrainSlots(device, workers, gpus).Select(s => s.Label));

    [Fact]
    public async Task ABackendWithoutCuda_TrainsOnTheCpu()
    {
        // A CPU build on a machine with /dev/nvidia* files: the inventory (the worker's own answer) says 0.
        await using var runner = await RunnerLab.StartAsync(Recorder(0), AutoDevice, inventory: new FakeInventory(0));
        var job = await SubmitAsync(runner, Pretraining());
        Assert.Equal(("", "cpu"), await SeenAsync(runner, job.Id));
        Assert.Equal(["cpu"], runner.Runner.TrainDevices);
        Assert.False(runner.Runner.TrainsOnGpu);
    }

    [Fact]
    public async Task EachTrainingWorker_SeesOnlyItsOwnGpu()
    {
        await using var runner = await RunnerLab.StartAsync(Recorder(1.5), AutoDevice, inventory: new FakeInventory(2));
        var first = await SubmitAsync(runner, Pretraining());
        var second = await SubmitAsync(runner, Pretraining());
        var seen = new[] { await SeenAsync(runner, first.Id), await SeenAsync(runner, second.Id) };
        Assert.Equal(["0", "1"], seen.Select(s => s.Visible).Order());
        Assert.All(seen, s => Assert.Equal("cuda", s.Device)); // its one visible GPU
        foreach (var job in new[] { first, second })
        {
            var record = await runner.Lab.JobAsync(job.Id);
            Assert.Equal($"cuda:{(await SeenAsync(runner, job.Id)).Visible}", record.Device);
        }
        Assert.Equal(["cuda:0", "cuda:1"], runner.Runner.TrainDevices);
        Assert.True(runner.Runner.TrainsOnGpu);
    }

    [Fact]
    public async Task APrediction_BorrowsAnIdleGpu_AndTakesTheCpuWhileTrainingHoldsIt()
    {
        await using var runner = await RunnerLab.StartAsync(Recorder(4), AutoDevice, inventory: new FakeInventory(1));
        var idle = await runner.SubmitAsync();
        Assert.Equal(JobState.Succeeded, (await runner.UntilAsync(idle.Id, j => j.IsFinished)).State);
        Assert.Equal(("0", "cuda"), await SeenAsync(runner, idle.Id));
        Assert.Equal("cuda:0", (await runner.Lab.JobAsync(idle.Id)).Device);

        var training = await SubmitAsync(runner, Pretraining());
        await runner.UntilAsync(training.Id, j => j.State == JobState.Running);
        await SeenAsync(runner, training.Id);
        var busy = await runner.SubmitAsync();
        Assert.Equal(JobState.Succeeded, (await runner.UntilAsync(busy.Id, j => j.IsFinished)).State);
        Assert.Equal(("", "cpu"), await SeenAsync(runner, busy.Id));
        Assert.Equal(JobState.Running, (await runner.Lab.JobAsync(training.Id)).State); // the prediction did not wait for it
    }
}
