using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Training;

[Collection(FashionMnistGroup.Name)]
public class ExperimentTests(FashionMnist fashion)
{
    private static readonly DatasetFileOptions s_local = new(AllowDownload: false);

    private ExperimentSpec Small(int perClass = 10, int seeds = 2, int epochs = 3) => new(
        "fashion-mnist", fashion.Source, ["Sandal", "Sneaker", "Bag"], perClass,
        new TransferDials(Epochs: epochs, BatchSize: 16), Seeds: seeds, Device: "cpu", Probe: false);

    [Fact]
    public void Run_TwoSeeds_IsDeterministic_AndReportsBothArmsAndThePairedGap()
    {
        var spec = Small();
        var a = Experiment.Run(spec, files: s_local);
        var b = Experiment.Run(spec, files: s_local);
        Assert.Equal(["transfer", "scratch"], a.Arms.Select(x => x.Name));
        Assert.Equal([0, 1], a.Seeds);
        foreach (var (x, y) in a.Arms.Zip(b.Arms))
        {
            Assert.Equal(x.TestAccuracy.PerSeed, y.TestAccuracy.PerSeed);
            Assert.Equal(x.Runs.SelectMany(r => r.Curve.Select(c => c.TrainLoss)), y.Runs.SelectMany(r => r.Curve.Select(c => c.TrainLoss)));
        }
        var ntg = a.Ntg!;
        Assert.Equal(2, ntg.N);
        for (int i = 0; i < 2; i++)
            Assert.Equal(a.ScratchArm.TestAccuracy.PerSeed[i] - a.TransferArm.TestAccuracy.PerSeed[i], ntg.PerSeed[i], 12);
        Assert.Equal(3000, a.Target.TestSize);
        Assert.Equal(30, a.Target.TrainSize);
        var run = a.TransferArm.Runs[0];
        Assert.Equal(3, run.Curve.Count);
        Assert.Equal(3000, run.Confusion.Sum(row => row.Sum()));
        Assert.All(run.ConfusionCells, cell => Assert.All(cell.Value, id => Assert.StartsWith("test#", id)));
        Assert.Equal("l2", a.ScratchArm.Hyperparameters.Blocks[0].Penalty);
        Assert.Contains(a.Warnings, w => w.Contains("fewer than 20 training images"));
    }

    [Fact]
    public void Run_StreamsTypedEvents_InOrder_WithAProbeFirst()
    {
        var events = Experiment.RunAsync(Small(seeds: 1, epochs: 2) with { Probe = true }, files: s_local).ToBlockingEnumerable().ToList();
        Assert.IsType<ExperimentStarted>(events[0]);
        Assert.IsType<ProbeFinished>(events[1]);
        Assert.IsType<ExperimentFinished>(events[^1]);
        var updates = events.OfType<TrainingUpdate>().ToList();
        Assert.NotEmpty(updates);
        Assert.True(updates.Select(u => u.OverallFraction).SequenceEqual(updates.Select(u => u.OverallFraction).Order()));
        Assert.Equal(["transfer", "scratch"], events.OfType<RunFinished>().Select(r => r.Arm));
        var probe = ((ProbeFinished)events[1]).Probe;
        Assert.InRange(probe.TestAccuracy, 0.5, 1.0); // 3 distinct classes on pretrained features: far above 1/3
    }

    [Fact]
    public void Run_RefusesFewerThanFiveImagesPerClass()
    {
        var error = Assert.Throws<BadInputException>(() => Experiment.Run(Small(perClass: 4), files: s_local));
        Assert.Equal("Invalid experiment: perClass: must be at least 5: experiments refuse classes with fewer training images.", error.Message);
    }

    [Fact]
    public void Run_InvalidDials_AreFieldErrors()
    {
        var spec = Small() with { Transfer = new TransferDials(HeadLearningRate: -1, BatchSize: 0), Seeds = 0 };
        var error = Assert.Throws<BadInputException>(() => Experiment.Run(spec, files: s_local));
        Assert.Contains("seeds: must be 1..20.", error.Message);
        Assert.Contains("transfer.headLearningRate: must be in (0, 10].", error.Message);
        Assert.Contains("transfer.batchSize: must be in 1..4096.", error.Message);
    }

    [Fact]
    public void Run_FrozenBlocks_StayBitIdentical_IncludingBatchNormStatistics()
    {
        using var dir = new TempDir();
        var path = dir.File("tuned.weblab");
        var spec = Small(seeds: 1) with { Transfer = new TransferDials(FrozenBlocks: 2, Epochs: 3, BatchSize: 16), CheckpointPath = path };
        var result = Experiment.Run(spec, files: s_local);
        Assert.Equal([true, true, false, false, false], result.TransferArm.Hyperparameters.Blocks.Select(b => b.Frozen));
        using var source = Checkpoint.Load(fashion.Source);
        using var tuned = Checkpoint.Load(path);
        var before = source.Model.state_dict();
        foreach (var (key, value) in tuned.Model.state_dict())
        {
            var block = tuned.Model.BlockOf(key).Name;
            if (block is "stem" or "layer1")
                Assert.True(Tensors.Same(value, before[key]), $"{key} changed although frozen");
            else if (block == "layer3" && key.EndsWith("conv1.weight", StringComparison.Ordinal))
                Assert.False(Tensors.Same(value, before[key]), $"{key} did not train");
        }
    }

    [Fact]
    public void Run_Cancelled_ThrowsAndWritesNothing()
    {
        using var dir = new TempDir();
        var path = dir.File("never.weblab");
        using var cts = new CancellationTokenSource();
        int updates = 0;
        var progress = new InlineProgress<ExperimentEvent>(e =>
        {
            if (e is TrainingUpdate && ++updates == 1)
                cts.Cancel();
        });
        var spec = Small(perClass: 60, seeds: 1, epochs: 20) with { CheckpointPath = path };
        Assert.ThrowsAny<OperationCanceledException>(() => Experiment.Run(spec, progress, files: s_local, cancellationToken: cts.Token));
        Assert.True(updates >= 1);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Run_StoppedByUser_KeepsTheBestSoFar_AndSavesIt()
    {
        using var dir = new TempDir();
        var path = dir.File("stopped.weblab");
        var control = new RunControl();
        var progress = new InlineProgress<ExperimentEvent>(e =>
        {
            if (e is TrainingUpdate { Progress.EpochEnd: true, Progress.Epoch: 2 })
                control.RequestStop();
        });
        var spec = Small(seeds: 2, epochs: 10) with { CheckpointPath = path };
        var result = Experiment.Run(spec, progress, control, s_local);
        Assert.True(result.Stopped);
        var run = Assert.Single(result.TransferArm.Runs);
        Assert.True(run.StoppedByUser);
        Assert.Equal(2, run.Curve.Count);
        Assert.Single(result.Arms);
        Assert.Null(result.Ntg);
        Assert.Equal(run.TestAccuracy, Checkpoint.ReadInfo(path).TestAccuracy);
    }

    [Fact]
    public void FineTunedCheckpoint_IsASourceForTheNextStep_WithLineage()
    {
        using var dir = new TempDir();
        var first = dir.File("step1.weblab");
        Experiment.Run(Small(seeds: 1, epochs: 2) with { CheckpointPath = first }, files: s_local);
        var info = Checkpoint.ReadInfo(first);
        Assert.Equal(["Sandal", "Sneaker", "Bag"], info.ClassNames);
        Assert.Equal("fine-tune", info.Training!.Kind);
        var lineage = Assert.Single(info.Lineage!);
        Assert.Equal("pretrain", lineage.Kind);

        var second = dir.File("step2.weblab");
        var result = Experiment.Run(Small(seeds: 1, epochs: 2) with { Source = first, TargetClasses = ["Ankle boot", "Shirt"], CheckpointPath = second },
            files: s_local);
        Assert.Equal(first, result.Source.Path);
        Assert.Equal(2, Checkpoint.ReadInfo(second).Lineage!.Count);
    }

    [Fact]
    public void DataEfficiencySweep_RunsOnePointPerSize()
    {
        var sweep = SweepSpec.DataEfficiency(Small(seeds: 1, epochs: 2), ["5", "15"]);
        var result = Sweeps.Run(sweep, files: s_local);
        Assert.Equal(["5", "15"], result.Points.Select(p => p.Settings["perClass"]));
        Assert.Equal([15, 45], result.Points.Select(p => p.Result.Target.TrainSize));
        // Same holdout seed: every point is tested on the same images.
        Assert.Equal(result.Points[0].Result.Target.TestSize, result.Points[1].Result.Target.TestSize);
    }

    [Fact]
    public void DialNames_SetAnySettingByName_AndRejectUnknownNames()
    {
        var spec = Small();
        Assert.Equal(0.02, DialNames.With(spec, "headLearningRate", "0.02").Dials.HeadLearningRate);
        Assert.Null(DialNames.With(spec, "perClass", "all").PerClass);
        Assert.Equal(2, DialNames.With(spec, "BlocksTransferred", "2").Dials.BlocksTransferred);
        Assert.Equal(0.3, DialNames.With(spec, "scratch.learningRate", "0.3").ScratchArm.LearningRate);
        Assert.Equal(OptimizerKind.AdamW, DialNames.With(spec, "optimizer", "adam-w").Dials.Optimizer);
        Assert.StartsWith("Unknown setting 'lr'.", Assert.Throws<BadInputException>(() => DialNames.With(spec, "lr", "1")).Message);
        Assert.Contains("not a valid value for epochs", Assert.Throws<BadInputException>(() => DialNames.With(spec, "epochs", "many")).Message);
    }
}
