using WebLab.Models;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Transfer;

public class PresetsTests
{
    [Fact]
    public void TheShippedPresets_ValidateAndCoverTheIssuesList()
    {
        Assert.Equal(
            ["small-similar", "small-dissimilar", "large-similar", "large-dissimilar", "linear-probe", "bit-hyperrule", "common-practice", "head-then-all"],
            Presets.All.Select(p => p.Id));
        Assert.All(Presets.All, p =>
        {
            Assert.NotEmpty(p.Rationale);
            Assert.All(p.Cites, c => Assert.Contains(c, Presets.FieldGuideSections));
        });
        // The four quadrant presets tile the plane's regions.
        foreach (var (u, v, id) in new[] { (0.2, 0.9, "small-similar"), (0.2, 0.3, "small-dissimilar"), (1.0, 0.9, "large-similar"), (1.0, 0.3, "large-dissimilar") })
            Assert.Equal(id, Presets.All.Where(p => p.Id.Contains('-') && p.Region is not null && !p.Id.StartsWith("linear", StringComparison.Ordinal))
                .Single(p => p.Region!.Contains(u, v)).Id);
    }

    [Fact]
    public void BitHyperRule_SetsItsBudgetAndMixupFromTheTargetSize()
    {
        var bit = Presets.Get("bit-hyperrule");
        Assert.Equal((500, 0.0), (bit.DialsFor(5_000).Steps!.Value, bit.DialsFor(5_000).MixupAlpha));
        Assert.Equal((10_000, 0.1), (bit.DialsFor(100_000).Steps!.Value, bit.DialsFor(100_000).MixupAlpha));
        Assert.Equal(20_000, bit.DialsFor(1_000_000).Steps);
        Assert.Equal((ScheduleKind.Staircase, 512, 0.003), (bit.DialsFor(10).Schedule, bit.DialsFor(10).BatchSize, bit.DialsFor(10).HeadLearningRate));
        // BiT's bands are "< 20 000" and "< 500 000" training examples (bit_hyperrule.get_schedule and get_mixup).
        Assert.Equal((500, 0.0), (bit.DialsFor(19_999).Steps!.Value, bit.DialsFor(19_999).MixupAlpha));
        Assert.Equal((10_000, 0.1), (bit.DialsFor(20_000).Steps!.Value, bit.DialsFor(20_000).MixupAlpha));
        Assert.Equal(10_000, bit.DialsFor(499_999).Steps);
        Assert.Equal(20_000, bit.DialsFor(500_000).Steps);
    }

    [Fact]
    public void CommonPractice_CountsEpochs_WhileRegionPresetsCountUpdates()
    {
        var common = Presets.Get("common-practice").DialsFor(100);
        Assert.Null(common.Steps);
        Assert.Equal(30, common.Epochs);
        Assert.Equal(150, Presets.Get("small-similar").DialsFor(100).Steps);
        Assert.Equal(1000, Presets.Get("small-similar").DialsFor(5_000).Steps);
    }

    [Fact]
    public void SmallDissimilar_ReInitialisesTheTopStage_OfWhateverModel()
    {
        var dials = Presets.Get("small-dissimilar").DialsFor(100);
        using var model = Architectures.Create(new ModelSpec("resnet8", 5, 1, 28));
        var plan = TransferPlan.ForTransfer(model.Blocks, false, dials);
        Assert.Equal([true, true, true, false, false], plan.Select(p => p.Transferred));
        // L2-SP on the two lowest blocks, L2 above.
        Assert.Equal(["l2sp", "l2sp", "l2", "l2", "l2"], plan.Select(p => p.Penalty));
        Assert.Contains("only 4 transferable blocks",
            Assert.Throws<BadInputException>(() => TransferPlan.ForTransfer(model.Blocks, false, dials with { BlocksTransferred = -5 })).Message);
    }

    [Fact]
    public void Parse_RejectsUnknownDials_BadValues_AndUncitedRationales()
    {
        const string bad = """
            {"version": 1, "presets": [
              {"id": "x", "version": 1, "title": "t", "summary": "s", "rationale": "r", "cites": ["9. Nowhere"], "region": null,
               "dials": {"headLR": 0.1, "momentum": 1.5}}]}
            """;
        var message = Assert.Throws<BadInputException>(() => Presets.Parse(bad)).Message;
        Assert.Contains("cites unknown section '9. Nowhere'", message);
        Assert.Contains("unknown dial 'headLR'", message);
        Assert.Contains("momentum: must be in [0, 1)", message);
        Assert.Contains("Unknown preset 'nope'. Known: auto, small-similar", Assert.Throws<BadInputException>(() => Presets.Get("nope")).Message);
    }

    [Fact]
    public void Parse_RejectsTextThatCitesTheFieldGuideOtherThanByAnExactListedTitle()
    {
        static string Doc(string rationale, string cites = "\"6. Schedules\"") => $$$"""
            {"version": 1, "presets": [
              {"id": "x", "version": 1, "title": "t", "summary": "s", "rationale": {{{System.Text.Json.JsonSerializer.Serialize(rationale)}}},
               "cites": [{{{cites}}}], "region": null, "dials": {"inputSize": 8}}]}
            """;
        var message = Assert.Throws<BadInputException>(() => Presets.Parse(Doc("As field guide 6 says."))).Message;
        Assert.Contains("x: its text says \"field guide 6\"; cite a section by its quoted title instead", message);
        Assert.Contains("inputSize: must be in 16..1024 pixels (got 8)", message);
        Assert.Contains("not a field-guide section title",
            Assert.Throws<BadInputException>(() => Presets.Parse(Doc("BiT's rule (\"6. Schedule\").").Replace(": 8", ": 128"))).Message);
        Assert.Contains("x: its text cites \"4. Regularisers (formulas)\" but its cites do not list it",
            Assert.Throws<BadInputException>(() => Presets.Parse(Doc("See \"4. Regularisers (formulas)\".").Replace(": 8", ": 128"))).Message);
        Assert.Equal("x", Assert.Single(Presets.Parse(Doc("BiT's rule (\"6. Schedules\").").Replace(": 8", ": 128"))).Id);
    }

    [Fact]
    public void DialNames_OnAPresetSpec_BecomeOverrides_CheckedUpFront()
    {
        var spec = new ExperimentSpec("fashion-mnist", "s.weblab", Preset: "small-similar");
        var tweaked = DialNames.With(spec, "l2spalpha", "0");
        Assert.Null(tweaked.Transfer);
        Assert.Equal("0", tweaked.Overrides!["l2SPAlpha"]);
        Assert.Contains("not a valid value for momentum", Assert.Throws<BadInputException>(() => DialNames.With(spec, "momentum", "fast")).Message);
        Assert.Equal("auto", DialNames.With(spec, "preset", "auto").Preset);
        Assert.Contains("preset: unknown 'nope'", string.Join(" ", (spec with { Preset = "nope" }).Validate()));
    }
}
