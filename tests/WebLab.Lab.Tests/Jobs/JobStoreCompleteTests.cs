using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;

namespace WebLab.Lab.Tests.Jobs;

public sealed class JobStoreCompleteTests
{
    private const string Worker = "host_a/train-0";

    [Fact]
    public async Task Complete_StoresTheResult_AndCommitsAlsoWriteWithIt()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync(Worker);
        var checkpoint = Checkpoint(job.Id);

        var completed = await lab.Jobs.CompleteAsync(job.Id, Worker, """{"acc":0.9}""",
            write => write.AddCheckpointAsync(checkpoint));

        Assert.True(completed);
        var done = await lab.JobAsync(job.Id);
        Assert.Equal((JobState.Succeeded, """{"acc":0.9}""", null, null, null),
            (done.State, done.ResultJson, done.Error, done.LeaseOwner, done.LeaseExpiresMs));
        Assert.NotNull(done.FinishedAt);
        var last = (await lab.Jobs.HistoryAsync(job.Id))[^1];
        Assert.Equal((JobState.Running, JobState.Succeeded, "completed", 1), (last.FromState, last.ToState, last.Reason, last.Attempt));
        Assert.Equal(checkpoint, await new CheckpointStore(lab.Db).GetAsync(checkpoint.Id));
        Assert.False(await lab.Jobs.CompleteAsync(job.Id, Worker, """{"acc":0.1}"""));
        Assert.Equal("""{"acc":0.9}""", (await lab.JobAsync(job.Id)).ResultJson);
    }

    [Fact]
    public async Task Complete_RollsBackTheStateChange_WhenAlsoWriteThrows()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync(Worker);
        var before = await lab.JobAsync(job.Id);
        var checkpoint = Checkpoint(job.Id);

        await Assert.ThrowsAsync<IOException>(() => lab.Jobs.CompleteAsync(job.Id, Worker, """{"acc":0.9}""", async write =>
        {
            await write.AddCheckpointAsync(checkpoint);
            throw new IOException("disk full while registering the checkpoint");
        }));

        // Job is still Running under the same lease: the worker (or lease recovery) can finish it later.
        Assert.Equal(before, await lab.JobAsync(job.Id));
        Assert.Null(await new CheckpointStore(lab.Db).GetAsync(checkpoint.Id));
        Assert.DoesNotContain(await lab.Jobs.HistoryAsync(job.Id), h => h.ToState == JobState.Succeeded);
        Assert.True(await lab.Jobs.CompleteAsync(job.Id, Worker, """{"acc":0.9}"""));
    }

    [Fact]
    public async Task Complete_IsRefused_ForAJobThatIsNotRunning()
    {
        await using var lab = await TempLab.CreateAsync();
        var queued = await lab.SubmitAsync();
        var wrote = false;

        Assert.False(await lab.Jobs.CompleteAsync(queued.Id, Worker, "{}", _ =>
        {
            wrote = true;
            return Task.CompletedTask;
        }));

        Assert.False(wrote);
        Assert.Equal(queued, await lab.JobAsync(queued.Id));
    }

    private static CheckpointRecord Checkpoint(string jobId) => new()
    {
        Id = WebLab.Lab.Storage.Ids.New("ckpt", TimeProvider.System),
        Name = "fine-tuned",
        Owner = "alice",
        Path = "/data/checkpoints/fine-tuned.weblab",
        InfoJson = """{"arch":"resnet8"}""",
        JobId = jobId,
        CreatedAt = "2030-01-01T00:00:00.0000000+00:00",
    };
}
