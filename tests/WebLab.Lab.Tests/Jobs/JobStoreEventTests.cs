using Microsoft.Data.Sqlite;
using WebLab.Lab.Jobs;

namespace WebLab.Lab.Tests.Jobs;

public sealed class JobStoreEventTests
{
    private const string Worker = "host_a/train-0";

    [Fact]
    public async Task AppendEvent_NumbersEachJobsEventsFromOne_WithoutGapsUnderConcurrentAppends()
    {
        await using var lab = await TempLab.CreateAsync();
        var first = await lab.RunningAsync(Worker);
        var second = await lab.RunningAsync("host_a/train-1");

        var seqs = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => i % 2 == 0
            ? lab.Jobs.AppendEventAsync(first.Id, Worker, "epoch", $$"""{"i":{{i}}}""")
            : lab.Jobs.AppendEventAsync(second.Id, "host_a/train-1", "epoch", $$"""{"i":{{i}}}"""))));

        var firstSeqs = seqs.Where((_, i) => i % 2 == 0).Select(s => s!.Value).Order();
        var secondSeqs = seqs.Where((_, i) => i % 2 == 1).Select(s => s!.Value).Order();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), firstSeqs);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), secondSeqs);
        var events = await lab.Jobs.EventsAsync(first.Id);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.All(events, e => Assert.Equal((first.Id, "epoch"), (e.JobId, e.Type)));
        Assert.Equal(20, events.Select(e => e.PayloadJson).Distinct().Count());
        Assert.Equal(20L, (await lab.JobAsync(first.Id)).LastSeq);
        Assert.Equal(20L, (await lab.JobAsync(second.Id)).LastSeq);
    }

    [Fact]
    public async Task Events_AfterASeq_ReturnTheTailInOrder()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync(Worker);
        for (int i = 1; i <= 5; i++)
            Assert.Equal(i, await lab.Jobs.AppendEventAsync(job.Id, Worker, i == 5 ? "done" : "epoch", $$"""{"n":{{i}}}"""));

        var tail = await lab.Jobs.EventsAsync(job.Id, afterSeq: 3);

        Assert.Equal([(4L, "epoch", """{"n":4}"""), (5L, "done", """{"n":5}""")], tail.Select(e => (e.Seq, e.Type, e.PayloadJson)));
        Assert.Equal(5, (await lab.Jobs.EventsAsync(job.Id)).Count);
        Assert.Empty(await lab.Jobs.EventsAsync(job.Id, afterSeq: 5));
    }

    [Fact]
    public async Task AppendEvent_WritesTheMetricWithTheEvent()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync(Worker);
        var metric = new MetricRecord { JobId = job.Id, Point = 1, Arm = "finetune", Seed = 7, Epoch = 2, ValuesJson = """{"acc":0.5}""" };

        Assert.Equal(1, await lab.Jobs.AppendEventAsync(job.Id, Worker, "epoch", "{}", metric));
        Assert.Equal(2, await lab.Jobs.AppendEventAsync(job.Id, Worker, "epoch", "{}", metric with { ValuesJson = """{"acc":0.75}""" }));

        // The same (point, arm, seed, epoch) is replaced, not duplicated: a replayed epoch overwrites its row.
        var curve = Assert.Single(await lab.Jobs.CurvesAsync(job.Id));
        Assert.Equal((metric.Point, metric.Arm, metric.Seed, metric.Epoch, """{"acc":0.75}"""),
            (curve.Point, curve.Arm, curve.Seed, curve.Epoch, curve.Values.GetRawText()));
    }

    [Fact]
    public async Task AppendEvent_WritesNothing_WhenItsMetricCannotBeStored()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync(Worker);
        Assert.Equal(1, await lab.Jobs.AppendEventAsync(job.Id, Worker, "epoch", "{}"));
        var orphanMetric = new MetricRecord { JobId = "job_0000000000000000", Arm = "finetune", ValuesJson = "{}" };

        await Assert.ThrowsAsync<SqliteException>(() => lab.Jobs.AppendEventAsync(job.Id, Worker, "epoch", """{"lost":true}""", orphanMetric));

        // Event, sequence number and metric are one transaction: the failed metric takes the event (and its number) with it.
        Assert.Equal(1L, (await lab.JobAsync(job.Id)).LastSeq);
        Assert.Single(await lab.Jobs.EventsAsync(job.Id));
        Assert.Equal(2, await lab.Jobs.AppendEventAsync(job.Id, Worker, "epoch", "{}"));
    }

    [Fact]
    public async Task SetProgress_StoresTheOwnersSnapshot()
    {
        await using var lab = await TempLab.CreateAsync();
        var job = await lab.RunningAsync(Worker);

        Assert.True(await lab.Jobs.SetProgressAsync(job.Id, Worker, """{"epoch":1}"""));
        Assert.True(await lab.Jobs.SetProgressAsync(job.Id, Worker, """{"epoch":2}"""));
        Assert.False(await lab.Jobs.SetProgressAsync(job.Id, "host_a/train-9", """{"epoch":99}"""));

        Assert.Equal("""{"epoch":2}""", (await lab.JobAsync(job.Id)).ProgressJson);
    }
}
