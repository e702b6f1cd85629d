using WebLab.Data;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Transfer;

[Collection(FashionMnistGroup.Name)]
public class AnalysisTests(FashionMnist fashion)
{
    private static readonly DatasetFileOptions s_local = new(AllowDownload: false);

    [Fact]
    public void Analysis_OnRealData_ReportsEveryMeasure_PerStage_WithCosts()
    {
        var result = Analysis.Run(new AnalysisSpec("fashion-mnist", fashion.Source, ["Sandal", "Sneaker", "Bag"], 10, FineTuneSteps: 10, Device: "cpu"),
            files: s_local);
        Assert.Equal(["probe", "knn", "logme", "hscore", "hscore-shrinkage", "leep", "nce", "probe-random", "fine-tune", "probe-gap", "short-scratch", "pilot-gain"], result.Measures.Select(m => m.Id));
        Assert.Equal([1, 2, 3], result.Stages.Select(s => s.Stage));
        Assert.Equal((30, 10, 3), (result.Size.Examples, result.Size.MinPerClass, result.Size.Classes));
        Assert.InRange(result.Get("leep")!.Value, Math.Log(1.0 / 3), 0);
        Assert.InRange(result.Get("nce")!.Value, Math.Log(1.0 / 3) - 1e-9, 0);
        Assert.InRange(result.Get("hscore")!.Value, 0, 2 + 1e-6);
        Assert.InRange(result.Get("hscore-shrinkage")!.Value, 0, result.Get("hscore")!.Value + 1e-6);
        Assert.InRange(result.Get("probe")!.Value, 0.5, 1); // three distinct classes on pretrained features
        Assert.All(result.Measures, m => Assert.True(m.Seconds >= 0 && !string.IsNullOrEmpty(m.Reference)));
        Assert.Equal(100 * (result.Get("fine-tune")!.Value - result.Get("probe")!.Value), result.Get("probe-gap")!.Value, 9);
        Assert.Equal(100 * (result.Get("fine-tune")!.Value - result.Get("short-scratch")!.Value), result.Get("pilot-gain")!.Value, 9);
        // The pilot's scratch half really trains: 10 updates from random init lift three classes well above chance (1/3).
        Assert.InRange(result.Get("short-scratch")!.Value, 0.5, 1);
    }

    [Fact]
    public void PresetAuto_AnalysesFirst_ThenRunsTheChosenPresetWithOverrides_AndRecordsWhy()
    {
        var spec = new ExperimentSpec("fashion-mnist", fashion.Source, ["Sandal", "Sneaker", "Bag"], 10, Seeds: 1, Device: "cpu", Probe: false,
            Preset: "auto", Overrides: new Dictionary<string, string> { ["steps"] = "6" });
        var events = Experiment.RunAsync(spec, files: s_local).ToBlockingEnumerable().ToList();
        var chosen = Assert.Single(events.OfType<PresetChosen>());
        Assert.NotNull(chosen.Analysis);
        Assert.Equal(6, chosen.Dials.Steps);
        var result = ((ExperimentFinished)events[^1]).Result;
        Assert.StartsWith("auto: ", result.Preset);
        Assert.Equal(result.Recommendation!.PresetTag, result.Preset!["auto: ".Length..]);
        Assert.Equal(6, result.TransferArm.Hyperparameters.TotalSteps);
        Assert.NotEmpty(result.Recommendation.Reasons);
    }

    [Fact]
    public void ANamedPreset_SetsTheDialsForTheTargetsSize()
    {
        var spec = new ExperimentSpec("fashion-mnist", fashion.Source, ["Sandal", "Bag"], 5, Seeds: 1, Device: "cpu", Probe: false, Preset: "linear-probe",
            Overrides: new Dictionary<string, string> { ["steps"] = "4" });
        var result = Experiment.Run(spec, files: s_local);
        Assert.Equal(Presets.Get("linear-probe").Tag, result.Preset);
        Assert.All(result.TransferArm.Hyperparameters.Blocks.Where(b => b.Transferred), b => Assert.True(b.Frozen));
    }
}
