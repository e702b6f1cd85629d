using MudBlazor;
using WebLab.Transfer;
using WebLab.Web.Study;

namespace WebLab.Web.Tests.Study;

/// <summary>The study summary as the Validation page's rows: units, intervals, signs and what is missing.</summary>
public sealed class StudyViewTests
{
    private static StudyView View(StudySummary? summary = null, Func<string, bool>? hasPlot = null) =>
        StudyView.Of(summary ?? SampleStudy.Summary(), hasPlot ?? (file => file == SampleStudy.Plot));

    [Fact]
    public void Header_SaysModeMachineSeedsComputeAndDate_WithUnits()
    {
        var header = View().Header;
        Assert.Equal("quick (a smaller plan than the full study)", header.Mode);
        Assert.StartsWith("AMD EPYC, 2 cores", header.Machine, StringComparison.Ordinal);
        Assert.Equal("3 seeds per configuration", header.Seeds);
        Assert.Equal("30.2 min (each step's own time, summed)", header.Compute);
        Assert.Equal("30.5 min wall time in the last run", header.Wall);
        Assert.Equal("2026-11-23 14:05 UTC", header.Generated);
        Assert.Equal("nothing recomputed in the last run (all from raw.json)", View(SampleStudy.Summary(wallSeconds: null)).Header.Wall);
    }

    [Fact]
    public void Verdicts_ColourTheirOutcome()
    {
        var verdicts = View().Verdicts;
        Assert.Equal(["holds", "fails", "undecided"], verdicts.Select(v => v.Outcome));
        Assert.Equal([Color.Success, Color.Error, Color.Warning], verdicts.Select(v => v.Color));
        Assert.Equal("NTG -12.4 pt [-15.1, -9.7] over 3 seeds", verdicts[0].Evidence);
    }

    [Fact]
    public void Plots_PointAtTheirRoute_OnlyWhenTheFileIsThere()
    {
        var plots = View(hasPlot: file => file == SampleStudy.Plot).Plots;
        Assert.Equal("/validation/plots/plane.svg", plots[0].Url);
        Assert.Equal("The size x similarity plane", plots[0].Title);
        Assert.Null(plots[1].Url);
        var odd = SampleStudy.Summary() with { Plots = [new("a plot #1.svg", "t", "c")] };
        Assert.Equal("/validation/plots/a%20plot%20%231.svg", View(odd, _ => true).Plots[0].Url);
    }

    [Fact]
    public void AnswerRows_GiveAccuracyInPercent_AndSignedPointsWithIntervals_AndNoNtgForScratch()
    {
        var task = View().Tasks[0];
        Assert.Equal("Fashion-MNIST 5-9, 20 per class", task.Target);
        Assert.Equal("calibration (the recommender's thresholds were set on it)", task.Role);
        Assert.Equal("size 0.20, similarity 0.91", task.Plane);
        var best = task.Rows[0];
        Assert.True(best.Recommended && best.BestOnValidation);
        Assert.Equal(("lr x1, 300 steps", "84.8 %", "83.9 % [82.7, 85.1]"), (best.Chosen, best.Validation, best.Test));
        Assert.Equal("-12.4 pt [-15.1, -9.7]", best.NtgMatched);
        Assert.Equal("-10.2 pt [-12.9, -7.5]", best.NtgTuned);
        Assert.Equal("0.0 pt [0.0, 0.0]", best.VersusBest);
        var scratch = task.Rows[2];
        Assert.False(scratch.Recommended || scratch.BestOnValidation);
        Assert.Equal((StudyView.None, StudyView.None), (scratch.NtgMatched, scratch.NtgTuned));
        // Transfer hurt on the dissimilar pair: a positive NTG keeps its sign.
        var heldOut = View().Tasks[1];
        Assert.Equal("held-out (never used to tune anything)", heldOut.Role);
        Assert.Equal("+0.6 pt [-0.8, +2.0]", heldOut.Rows[0].NtgMatched);
        Assert.True(heldOut.Rows[1].BestOnValidation);
    }

    [Fact]
    public void Measures_GiveEachCorrelationWithItsIntervalAndPValue()
    {
        var measures = View().Measures;
        Assert.Equal(("leep", "transferred accuracy", "10"), (measures[0].Measure, measures[0].Outcome, measures[0].N));
        Assert.Equal("-0.31 [-0.71, +0.12] p = 0.04", measures[0].Kendall);
        Assert.Equal("gain (scratch error - transfer error)", measures[1].Outcome);
        Assert.Equal("+0.51 [+0.18, +0.80] p < 0.001", measures[1].Kendall);
        Assert.Equal("+0.66 [+0.25, +0.90] p = 0.004", measures[1].Spearman);
        Assert.Equal("+0.48 [-0.05, +0.83] p = 0.09", measures[1].PartialK);
    }

    [Fact]
    public void Recommender_GivesRegretInPoints_BestChoiceAsCountAndWilsonInterval_AndItsThresholds()
    {
        var r = View().Recommender!;
        Assert.Equal("4 held-out pairs", r.Pairs);
        Assert.Equal("0.9 pt [0.2, 2.1]", r.Regret);
        Assert.Equal("3 of 4 (75 %), Wilson 95 % interval [30, 95] %", r.BestChoice);
        Assert.Equal("0.3 pt [0.0, 0.8]", r.CalibrationRegret);
        Assert.Equal([new ThresholdLine("similarity", "0.75"), new ThresholdLine("small-size", "200")], r.Thresholds);
        var partial = SampleStudy.Summary() with { Recommender = SampleStudy.Summary().Recommender! with { CalibrationRegret = null, BestChoiceCi = [] } };
        Assert.Equal((StudyView.None, "3 of 4 (75 %)"), (View(partial).Recommender!.CalibrationRegret, View(partial).Recommender!.BestChoice));
        Assert.Null(View(SampleStudy.Summary() with { Recommender = null, Reuse = null }).Recommender);
    }

    [Fact]
    public void Reuse_SaysHowManyRunsAndHowMuchComputeItSaved()
    {
        Assert.Equal("9 of 24 scratch runs came from the cache instead of training again, saving 18.8 min of compute", View().Reuse);
        Assert.Null(View(SampleStudy.Summary() with { Reuse = null }).Reuse);
    }

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(1812, "30.2 min")]
    [InlineData(9000, "2.5 h")]
    public void Duration_PicksTheUnitThatReadsBest(double seconds, string expected) => Assert.Equal(expected, StudyView.Duration(seconds));

    [Fact]
    public void NumbersThatAreNotFinite_ShowAsAQuestionMark() =>
        Assert.Equal("? % [?, ?]", StudyView.Percent(new Estimate(double.NaN, double.NaN, double.PositiveInfinity)));
}
