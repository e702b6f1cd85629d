using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Models;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Transfer;

/// <summary>A source published without its classifier head (like the zoo's ResNet-18): what works and what says why not.</summary>
[Collection(FashionMnistGroup.Name)]
public sealed class HeadlessSourceTests(FashionMnist fashion) : IDisposable
{
    private static readonly DatasetFileOptions s_local = new(AllowDownload: false);
    private readonly TempDir _dir = new();

    [Fact]
    public void Analysis_ListsLeepAndNceAsUnavailable_NeverAsNumbers_AndTheRecommenderStillDecides()
    {
        var result = Analysis.Run(new AnalysisSpec("fashion-mnist", Headless(), ["Sandal", "Sneaker", "Bag"], 10, FineTuneSteps: 10, Device: "cpu"),
            files: s_local);
        Assert.Equal(["probe", "knn", "logme", "hscore", "hscore-shrinkage", "probe-random", "fine-tune", "probe-gap", "short-scratch", "pilot-gain"], result.Measures.Select(m => m.Id));
        Assert.Null(result.Get("leep"));
        Assert.Equal(Measures.NoHeadReason, result.Missing("nce")!.Reason);
        Assert.Equal(["leep", "nce"], result.Unavailable!.Select(m => m.Id));
        Assert.All(result.Unavailable!, m => Assert.Equal("not available: this source has no classifier head", m.Reason));
        Assert.InRange(result.Get("probe")!.Value, 0.5, 1);

        var recommendation = Recommender.Recommend(result);
        Assert.Contains(recommendation.Preset, Presets.All.Select(p => p.Id));
        Assert.NotEmpty(recommendation.Reasons);
    }

    [Fact]
    public void Experiment_FromAHeadlessSource_TrainsANewHead()
    {
        var output = _dir.File("fine-tuned.weblab");
        var result = Experiment.Run(new ExperimentSpec("fashion-mnist", Headless(), ["Sandal", "Bag"], 5, Seeds: 1, Device: "cpu",
            Transfer: new TransferDials(Steps: 4), CheckpointPath: output), files: s_local);
        Assert.Equal(2, result.Arms.Count);
        Assert.Contains(result.TransferArm.Hyperparameters.Blocks, b => b.Block == "head" && !b.Transferred);
        Assert.True(Checkpoint.ReadInfo(output).HasHead);
    }

    [Fact]
    public void Experiment_PassesTheSourcesInputEncoding_MeanImageIncluded_ToItsCheckpoint()
    {
        var source = _dir.File("encoded.weblab");
        using (var loaded = Checkpoint.Load(Headless()))
        using (var meanImage = torch.linspace(0, 100, 28 * 28).reshape(1, 28, 28))
            Checkpoint.Save(source, loaded.Model, loaded.Info with { Encoding = new InputEncoding(ChannelOrder.Bgr, 255, MeanImage: true) }, meanImage);
        var output = _dir.File("fine-tuned-encoded.weblab");
        Experiment.Run(new ExperimentSpec("fashion-mnist", source, ["Sandal", "Bag"], 5, Seeds: 1, Device: "cpu", Probe: false,
            Transfer: new TransferDials(Steps: 2), CheckpointPath: output), files: s_local);
        using var fineTuned = Checkpoint.Load(output);
        using var original = Checkpoint.Load(source);
        Assert.Equal(original.Info.Encoding, fineTuned.Info.Encoding);
        Assert.True(Tensors.Same(original.MeanImage!, fineTuned.MeanImage!));
    }

    /// <summary>The shared Fashion-MNIST source without its head: a feature extractor with the same body.</summary>
    private string Headless()
    {
        var path = _dir.File("headless.weblab");
        if (File.Exists(path))
            return path;
        using var source = Checkpoint.Load(fashion.Source);
        using var body = Architectures.Create(source.Info.ModelSpec with { NumClasses = 0 });
        var weights = source.Model.state_dict();
        using (torch.no_grad())
        {
            foreach (var (key, value) in body.state_dict())
                value.copy_(weights[key]);
        }
        Checkpoint.Save(path, body, source.Info with { ClassNames = [], Name = "headless" });
        return path;
    }

    public void Dispose() => _dir.Dispose();
}
