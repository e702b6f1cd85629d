using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Training;

/// <summary>Experiments, sweeps and analyses at an input size other than the source's own.</summary>
[Collection(FashionMnistGroup.Name)]
public sealed class InputSizeExperimentTests(FashionMnist fashion) : IDisposable
{
    private static readonly DatasetFileOptions s_local = new(AllowDownload: false);
    private readonly TempDir _dir = new();

    private ExperimentSpec Tiny(TransferDials dials) =>
        new("fashion-mnist", fashion.Source, ["Sandal", "Bag"], 5, dials, Seeds: 1, Device: "cpu", Probe: false);

    [Fact]
    public void Experiment_AtANonNativeSize_TrainsBothArmsThere_AndRecordsItInTheResultEventsAndCheckpoint()
    {
        var output = _dir.File("at40.weblab");
        var events = Experiment.RunAsync(Tiny(new TransferDials(Steps: 3, BatchSize: 8, InputSize: 40)) with { CheckpointPath = output, Probe = true },
            files: s_local).ToBlockingEnumerable().ToList();
        var result = ((ExperimentFinished)events[^1]).Result;
        Assert.Equal((40, 28, (InputSizeRule?)null), (result.InputSize!.Size, result.InputSize.SourceSize, result.InputSize.Rule));
        Assert.Equal(result.InputSize, ((ExperimentStarted)events[0]).InputSize);
        Assert.Equal([40, 40], result.Arms.Select(a => a.Hyperparameters.InputSize));
        Assert.InRange(result.Probe!.TestAccuracy, 0.6, 1.0); // the probe ran on 40 px inputs too, and the features still separate the classes
        var info = Checkpoint.ReadInfo(output);
        Assert.Equal(40, info.InputSize);
        Assert.Equal(["Sandal", "Bag"], info.ClassNames);

        // The fine-tuned model is a 40 px source now: the auto rule keeps a small source's own size.
        var next = Experiment.Run(Tiny(new TransferDials(Steps: 2, BatchSize: 8)) with { Source = output }, files: s_local);
        Assert.Equal((40, InputSizeRule.Auto), (next.InputSize!.Size, next.InputSize.Rule!.Value));
    }

    [Fact]
    public void Experiment_FromAMeanImageSource_AtAnotherSize_KeepsTheEncodingForItsCheckpoint()
    {
        var source = _dir.File("encoded.weblab");
        using (var loaded = Checkpoint.Load(fashion.Source))
        using (var meanImage = TorchSharp.torch.linspace(0, 100, 28 * 28).reshape(1, 28, 28))
            Checkpoint.Save(source, loaded.Model, loaded.Info with { Encoding = new InputEncoding(ChannelOrder.Bgr, 255, MeanImage: true) }, meanImage);
        var output = _dir.File("encoded-at36.weblab");
        var result = Experiment.Run(Tiny(new TransferDials(Steps: 2, BatchSize: 8, InputSize: 36)) with { Source = source, CheckpointPath = output },
            files: s_local);
        Assert.Equal(36, result.TransferArm.Hyperparameters.InputSize);
        using var fineTuned = Checkpoint.Load(output);
        Assert.Equal(36, fineTuned.Info.InputSize);
        Assert.True(fineTuned.Info.Input.MeanImage);
        Assert.Equal([1L, 28, 28], fineTuned.MeanImage!.shape); // stored as the source's; resized where it is applied
    }

    [Fact]
    public void Sweep_OverTheInputSize_RunsEachPointAtItsSize()
    {
        var sweep = new SweepSpec(Tiny(new TransferDials(Steps: 2, BatchSize: 8)), [new SweepAxis("inputSize", ["auto", "36"])]);
        var result = Sweeps.Run(sweep, files: s_local);
        Assert.Equal([28, 36], result.Points.Select(p => p.Result.InputSize!.Size));
        Assert.Equal([28, 36], result.Points.Select(p => p.Result.ScratchArm.Hyperparameters.InputSize));
    }

    [Fact]
    public void AutoPreset_AnalysesAtTheSizeTheExperimentTrainsAt()
    {
        var spec = DialNames.With(DialNames.With(Tiny(new TransferDials()) with { Transfer = null, Preset = ExperimentSpec.AutoPreset }, "inputSize", "36"),
            "steps", "2");
        var result = Experiment.Run(spec, files: s_local);
        Assert.Equal(36, result.Analysis!.Size.InputSize);
        Assert.Equal(36, result.InputSize!.Size);
        Assert.StartsWith("auto: ", result.Preset);
    }

    [Fact]
    public void Experiment_AtASizeTheArchitectureCannotTake_IsRefusedByName()
    {
        var error = Assert.Throws<BadInputException>(() => Experiment.Run(Tiny(new TransferDials(Steps: 1, InputSize: 4000)), files: s_local));
        Assert.Contains("transfer.inputSize: must be in 16..1024 pixels (got 4000)", error.Message);
    }

    public void Dispose() => _dir.Dispose();
}
