using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Transfer;

/// <summary>The input-size dial's rules and checks (the experiments that train at another size are in InputSizeExperimentTests).</summary>
public class InputSizesTests
{
    private static InputSizeChoice Choose(TransferDials dials, int source, bool gpu, (int, int)? target = null, string architecture = "resnet18-cntk") =>
        InputSizes.Choose(dials, source, architecture, gpu, target);

    [Fact]
    public void AutoRule_IsTheSourcesSizeOnGpus_128OnCpus_AndNeverResizesASmallSource()
    {
        var auto = new TransferDials();
        Assert.Equal(InputSizeRule.Auto, auto.InputSizeRule);
        Assert.Equal(224, Choose(auto, 224, gpu: true).Size);
        var cpu = Choose(auto, 224, gpu: false);
        Assert.Equal((128, 224, InputSizeRule.Auto), (cpu.Size, cpu.SourceSize, cpu.Rule));
        Assert.Equal("128 px: the auto rule on a CPU (the source's own 224 px on a GPU; 3.1x the compute)", cpu.Reason);
        Assert.Equal(128, Choose(auto, 160, gpu: false).Size);
        Assert.Equal(128, Choose(auto, 128, gpu: false).Size);
        // The 28 px demo source stays 28 on every device, and so does a 64 px one.
        foreach (var gpu in new[] { false, true })
        {
            Assert.Equal(28, Choose(auto, 28, gpu, architecture: "resnet8").Size);
            Assert.Equal(64, Choose(auto, 64, gpu, architecture: "resnet20").Size);
        }
        Assert.Contains("never resizes", Choose(auto, 28, false, architecture: "resnet8").Reason);
    }

    [Fact]
    public void SourceRule_KeepsTheSourcesSize_AndAGivenSizeWins()
    {
        Assert.Equal(224, Choose(new TransferDials(InputSizeRule: InputSizeRule.Source), 224, gpu: false).Size);
        var given = Choose(new TransferDials(InputSize: 96, InputSizeRule: InputSizeRule.Source), 224, gpu: true);
        Assert.Equal((96, (InputSizeRule?)null), (given.Size, given.Rule));
        Assert.Equal("96 px: given (the source's own size is 224 px)", given.Reason);
    }

    [Fact]
    public void BitRule_ResizesByTheTargetsImageArea_OnAnyDevice()
    {
        var bit = new TransferDials(InputSizeRule: InputSizeRule.Bit);
        Assert.Equal(128, Choose(bit, 224, gpu: true, (64, 64)).Size); // emoji-nature: under 96x96
        Assert.Equal(128, Choose(bit, 224, gpu: true, (28, 28)).Size);
        // Not under 96x96: 480 px, BiT's code (bit_hyperrule.get_resolution), not the paper's 384.
        Assert.Equal(480, Choose(bit, 224, gpu: false, (96, 96)).Size);
        Assert.Equal(480, Choose(bit, 224, gpu: false, (500, 375)).Size);
        Assert.Equal(28, Choose(bit, 28, gpu: false, (500, 375), "resnet8").Size);
        // Without the target's image size the rule cannot apply; the auto rule does, and says so.
        var unknown = Choose(bit, 224, gpu: false);
        Assert.Equal((128, InputSizeRule.Auto), (unknown.Size, unknown.Rule));
        Assert.StartsWith("128 px: BiT's rule needs the target's image size", unknown.Reason);
    }

    [Fact]
    public void BadSizes_AreFieldErrors_NamingTheDialAndTheRange()
    {
        var low = Assert.Single(new TransferDials(InputSize: 8).Validate());
        Assert.Equal("inputSize", low.Field);
        Assert.Equal("must be in 16..1024 pixels (got 8); leave it empty for the auto rule.", low.Message);
        Assert.Contains("(got 2048)", Assert.Single(new TransferDials(InputSize: 2048).Validate()).Message);
        Assert.Empty(new TransferDials(InputSize: 16).Validate());
        Assert.Contains(new ExperimentSpec("fashion-mnist", "s.weblab", Transfer: new TransferDials(InputSize: 4000)).Validate(),
            e => e.Field == "transfer.inputSize");
        Assert.Contains(new AnalysisSpec("fashion-mnist", "s.weblab", InputSize: 10).Validate(), e => e.Field == "inputSize");
        // In range for the dial but too small for the architecture's five stride-2 steps.
        var error = Assert.Throws<BadInputException>(() => Choose(new TransferDials(InputSize: 16), 224, gpu: false));
        Assert.Equal("transfer.inputSize: resnet18-cntk needs inputs of at least 32 px (got 16); its downsampling would leave nothing to pool.", error.Message);
        Assert.Equal(16, Choose(new TransferDials(InputSize: 16), 28, gpu: false, architecture: "resnet8").Size);
    }

    [Fact]
    public void WorkGrowsWithPixels()
    {
        Assert.Equal(3.0625, InputSizes.WorkRatio(224, 128));
        Assert.Equal(0.25, new InputSizeChoice(112, 224, InputSizeRule.Auto, "").WorkVsSource);
    }

    [Fact]
    public void Describe_SaysWhatTheRuleGivesHere_AndWhatSizeCosts()
    {
        var source = new WebLab.Checkpoints.CheckpointInfo("resnet18-cntk", 224, 3, [], [0, 0, 0], [1, 1, 1]);
        var cpu = InputSizes.Describe(new TransferDials(), source, gpu: false, (64, 64));
        Assert.StartsWith("128 px: the auto rule on a CPU (the source's own 224 px on a GPU; 3.1x the compute) on this lab's CPU workers. ", cpu);
        Assert.Contains("224 px is (224/128)^2 = 3.1x the work of 128 px", cpu);
        // The measured numbers (bench/results/colour-demo.md), not placeholders: 128 px trains faster than 224 px.
        Assert.Contains("resnet18-cntk trained 1.65 steps/s at 128 px and 0.43 at 224 px (batch 32), 3.8x slower", cpu);
        Assert.StartsWith("224 px: the source's own size on a GPU", InputSizes.Describe(new TransferDials(), source, gpu: true, null));
        Assert.StartsWith("transfer.inputSize: resnet18-cntk needs inputs of at least 32 px", InputSizes.Describe(new TransferDials(InputSize: 20), source, false, null));
        Assert.StartsWith("Choose a source", InputSizes.Describe(new TransferDials(), null, false, null));
    }

    [Fact]
    public void TargetImageSize_ComesFromTheCatalogue_OrTheImagesHeaders()
    {
        Assert.Equal((64, 64), InputSizes.TargetImageSize("emoji-nature"));
        Assert.Equal((28, 28), InputSizes.TargetImageSize("fashion-mnist"));
        using var dir = new TempDir();
        foreach (var (name, w, h) in new[] { ("a/1.png", 300, 200), ("a/2.png", 310, 210), ("b/3.png", 320, 220), ("b/notes.txt", 0, 0) })
        {
            var path = dir.File(name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, w > 0 ? TestFiles.Image(w, h, 1) : "not an image"u8.ToArray());
        }
        Assert.Equal((310, 210), InputSizes.TargetImageSize(dir.Path));
        Assert.Null(InputSizes.TargetImageSize(dir.File("missing")));
    }

    [Fact]
    public void EveryPreset_DecidesTheInputSize()
    {
        IReadOnlyDictionary<string, InputSizeRule> expected = new Dictionary<string, InputSizeRule>
        {
            ["small-similar"] = InputSizeRule.Auto, ["small-dissimilar"] = InputSizeRule.Auto, ["large-similar"] = InputSizeRule.Auto,
            ["large-dissimilar"] = InputSizeRule.Auto, ["linear-probe"] = InputSizeRule.Source, ["bit-hyperrule"] = InputSizeRule.Bit,
            ["common-practice"] = InputSizeRule.Source, ["head-then-all"] = InputSizeRule.Auto,
        };
        Assert.Equal(expected.Keys, Presets.All.Select(p => p.Id));
        foreach (var preset in Presets.All)
        {
            Assert.Equal(expected[preset.Id], preset.DialsFor(100).InputSizeRule);
            Assert.True(preset.Dials.ContainsKey("inputSizeRule"), $"{preset.Id} states its input-size rule");
            Assert.Contains("Input size:", preset.Rationale, StringComparison.Ordinal);
            Assert.True(preset.Version >= 2, $"{preset.Id}: the rule changed what every preset does on a CPU (version 2)");
        }
        // On this CPU, for the zoo's 224 px ResNet-18 and the 64 px emoji target: BiT's 128, the probe's and common practice's 224.
        int SizeOn(string id) => Choose(Presets.Get(id).DialsFor(100), 224, gpu: false, (64, 64)).Size;
        Assert.Equal((128, 128, 224, 224), (SizeOn("bit-hyperrule"), SizeOn("small-similar"), SizeOn("linear-probe"), SizeOn("common-practice")));
    }

    [Fact]
    public void InputSize_IsADialByName_ForSweepsTheCliAndPresetOverrides()
    {
        Assert.Contains("inputSize", DialNames.TransferDials);
        Assert.Contains("inputSizeRule", DialNames.TransferDials);
        var spec = new ExperimentSpec("fashion-mnist", "s.weblab", Transfer: new TransferDials());
        Assert.Equal(96, DialNames.With(spec, "inputSize", "96").Dials.InputSize);
        Assert.Null(DialNames.With(spec with { Transfer = new TransferDials(InputSize: 96) }, "inputSize", "auto").Dials.InputSize);
        Assert.Equal(InputSizeRule.Bit, DialNames.With(spec, "inputSizeRule", "bit").Dials.InputSizeRule);
        Assert.Contains("not a valid value for inputSizeRule", Assert.Throws<BadInputException>(() => DialNames.With(spec, "inputSizeRule", "huge")).Message);
        // With a preset resolved at run time the size is kept as an override.
        var preset = DialNames.With(spec with { Transfer = null, Preset = "small-similar" }, "inputSize", "160");
        Assert.Equal("160", preset.Overrides!["inputSize"]);
        var points = new SweepSpec(spec, [new SweepAxis("inputSize", ["64", "128", "224"])]).Points();
        Assert.Equal([64, 128, 224], points.Select(p => p.Spec.Dials.InputSize!.Value));
        Assert.Contains("must be in 16..1024 pixels (got 2000)",
            Assert.Throws<BadInputException>(() => new SweepSpec(spec, [new SweepAxis("inputSize", ["2000"])]).Points()).Message);
    }
}
