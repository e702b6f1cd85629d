using System.Text.Json;
using WebLab.Lab.Workers;
using WebLab.Training;

namespace WebLab.Lab.Tests.Workers;

public sealed class WorkerOutputTests
{
    private static List<WorkerMessage> Lines(StringWriter text) =>
        text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<WorkerMessage>(l, WebLabJson.Compact)!).ToList();

    [Fact]
    public async Task KeepAlives_CarryTheWorksProgress_WhichOnlyTheWorkAdvances()
    {
        var text = new StringWriter();
        using (var output = new WorkerOutput(text, TimeSpan.FromMilliseconds(10)))
        {
            await Task.Delay(100); // stuck work: the timer ticks on
            output.Log("one");
            output.Log("two");
            await Task.Delay(100);
        }

        var lines = Lines(text);
        var beforeWork = lines.TakeWhile(l => l is WorkerAlive).Cast<WorkerAlive>().ToList();
        // A keep-alive may fall between the two log lines (the timer runs on its own); after the last one, all say 2.
        var lastWork = lines.FindLastIndex(l => l is not WorkerAlive);
        var afterWork = lines.Skip(lastWork + 1).Cast<WorkerAlive>().ToList();
        Assert.Equal(2, lines.Count(l => l is not WorkerAlive));
        Assert.True(beforeWork.Count >= 2, $"{beforeWork.Count} keep-alives");
        Assert.All(beforeWork, a => Assert.Equal(0, a.Progress));
        Assert.NotEmpty(afterWork);
        Assert.All(afterWork, a => Assert.Equal(2, a.Progress));
    }

    [Fact]
    public void AReusedScratchRun_ReachesTheLabAsATrainedOneDoes_CurveAndRunEvent_Flagged()
    {
        // What Experiment reports for a scratch run found in the cache: its stored epochs, then the run, marked reused.
        var epoch = new TrainingProgress(Experiment.ScratchArm, 3, "reused", 1, 2, 4, 8, 0.9, new Dictionary<string, double> { ["ce"] = 0.9 }, 0.6,
            0.55, 0.1, 120, 1.5, null, EpochEnd: true);
        var text = new StringWriter();
        using (var output = new WorkerOutput(text, TimeSpan.FromHours(1)))
        {
            var settings = new Dictionary<string, string> { ["l2spAlpha"] = "0.01" };
            output.SweepPoint(new SweepProgress(1, 2, settings, new TrainingUpdate(epoch, 0.5, 10)));
            output.SweepPoint(new SweepProgress(1, 2, settings, new RunFinished(Experiment.ScratchArm, 3, 0.8, 0.7, 2, 12.5, -0.05, Reused: true)));
        }

        var events = Lines(text).OfType<WorkerEvent>().ToList();
        Assert.Equal(["point-progress", "point-run"], events.Select(e => e.Event));
        var curve = events[0].Curve!;
        Assert.Equal((1, "scratch", 3, 1), (curve.Point, curve.Arm, curve.Seed, curve.Epoch));
        Assert.Equal(0.55, curve.Values.GetProperty("valAccuracy").GetDouble());
        var run = events[1].Payload.Deserialize<PointEvent>(WebLabJson.Compact)!.Event.Deserialize<ExperimentEvent>(WebLabJson.Compact);
        var finished = Assert.IsType<RunFinished>(run);
        Assert.True(finished.Reused);
        Assert.Equal(12.5, finished.Seconds); // the time it took when it trained: what reusing it saved
    }
}
