using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Transfer;

public class RecommenderTests
{
    private static AnalysisResult Synthetic(int examples, double[] stageProbes, double fineTune, long parameters = 77_429, int classes = 5) => new(
        new TargetSummary("synthetic", Enumerable.Range(0, classes).Select(i => i.ToString()).ToArray(), examples / classes, examples, 50, 100,
            Enumerable.Repeat(examples / classes, classes).ToArray()),
        new SourceSummary("s.weblab", "source", "resnet8", "src", ["a", "b"], 0.9),
        new SizeFigures(examples, examples / classes, classes, parameters, 28),
        [new("probe", "probe", stageProbes[^1], stageProbes.Length, 0, "", ""), new("fine-tune", "ft", fineTune, null, 0, "", "")],
        stageProbes.Select((p, i) => new StageMeasures(i + 1, 16 << i, p, p, 0, 0, 0)).ToArray(), 0, 0, "cpu");

    [Theory]
    [InlineData(100, 0.90, 0.92, "small-similar")]     // few images, probe close to fine-tune
    [InlineData(100, 0.80, 0.95, "small-dissimilar")]  // few images, fine-tune removes most probe errors
    [InlineData(5000, 0.93, 0.94, "large-similar")]
    [InlineData(5000, 0.70, 0.95, "large-dissimilar")]
    [InlineData(20, 0.99, 0.99, "linear-probe")]       // tiny and the frozen features already match fine-tuning
    public void PicksThePresetOfTheRegion(int examples, double probe, double fineTune, string expected)
    {
        var r = Recommender.Recommend(Synthetic(examples, [probe - 0.1, probe - 0.05, probe], fineTune));
        Assert.Equal(expected, r.Preset);
        Assert.Equal(Presets.Get(expected).Tag, r.PresetTag);
    }

    [Theory]
    [InlineData(0.60, 0.59, true)]   // the source's best probe is no better than random features': nothing to transfer
    [InlineData(0.60, 0.55, false)]  // 5 points better: transfer
    public void SaysDontTransfer_OnlyWhenTheSourceFeaturesAreNoBetterThanRandomOnes(double probe, double randomProbe, bool dontTransfer)
    {
        var analysis = Synthetic(100, [probe - 0.1, probe - 0.05, probe], 0.9);
        analysis = analysis with { Measures = [.. analysis.Measures, new("probe-random", "random", randomProbe, null, 0, "", "")] };

        var r = Recommender.Recommend(analysis);

        Assert.Equal(dontTransfer, r.DontTransfer);
        Assert.Equal(dontTransfer ? Recommender.ScratchAnswer : r.Preset, r.Answer);
        Assert.Equal(dontTransfer, r.Reasons[0].StartsWith("Don't transfer", StringComparison.Ordinal));
        Assert.Contains(Presets.All, p => p.Id == r.Preset); // an experiment still has a preset to run beside the scratch arm
    }

    [Fact]
    public void Coordinates_FollowTheDocumentedFormulas()
    {
        var r = Recommender.Recommend(Synthetic(100, [0.7, 0.8, 0.84], 0.896));
        // size: log10(100 / (10k x 77429 / 25.6M)) / 2; similarity: (1 - 0.896) / (1 - 0.84).
        Assert.Equal(Math.Log10(100 / (10_000 * 77_429 / 25.6e6)) / 2, r.Size, 9);
        Assert.Equal(0.104 / 0.16, r.Similarity, 9);
        // A bigger model needs more data to count as large.
        Assert.True(Recommender.Recommend(Synthetic(100, [0.8, 0.8, 0.84], 0.896, parameters: 11_000_000)).Size < r.Size);
    }

    [Fact]
    public void TheRationale_NamesTheNumbersItUsed()
    {
        var r = Recommender.Recommend(Synthetic(100, [0.7, 0.8, 0.84], 0.896));
        var text = r.Explanation;
        Assert.Contains("100 training images", text);
        Assert.Contains("77,429 parameters", text);
        Assert.Contains("84.0 %", text);
        Assert.Contains("89.6 %", text);
        Assert.Contains($"Similarity {r.Similarity:F2}", text);
        Assert.Contains("field guide", text);
    }

    [Fact]
    public void Dissimilar_WithABetterShallowerStage_TransfersOnlyUpToIt()
    {
        var r = Recommender.Recommend(Synthetic(100, [0.7, 0.85, 0.80], 0.97));
        Assert.Equal("small-dissimilar", r.Preset);
        Assert.Equal(3, r.Dials.BlocksTransferred); // stem + stages 1-2
        Assert.Contains(r.Adjustments, a => a.Contains("stage 2") && a.Contains("85.0 %") && a.Contains("80.0 %"));
    }
}
