using WebLab.Training;

namespace WebLab.Tests.Training;

public class StatisticsTests
{
    [Theory]
    [InlineData(1, 12.706205)]
    [InlineData(2, 4.302653)]
    [InlineData(4, 2.776445)]
    [InlineData(10, 2.228139)]
    [InlineData(100, 1.983972)]
    public void StudentT_Quantile_MatchesTables(int df, double expected) =>
        Assert.Equal(expected, StudentT.Quantile(0.975, df), 4);

    [Fact]
    public void Summary_MeanStdAndInterval_OnKnownValues()
    {
        var s = Summary.Of([1.0, 2.0, 3.0]);
        Assert.Equal(2, s.Mean, 12);
        Assert.Equal(1, s.Std, 12);
        Assert.Equal(2 - 4.302653 / Math.Sqrt(3), s.Ci95[0], 5);
        Assert.Equal(2 + 4.302653 / Math.Sqrt(3), s.Ci95[1], 5);
        var one = Summary.Of([0.4]);
        Assert.Equal([0.4, 0.4], one.Ci95);
        Assert.Equal(0, one.Std);
    }

    [Fact]
    public void Paired_IsTheSummaryOfTheDifferences_WithItsStudentTInterval()
    {
        // Differences 0.2, 0.1, 0.1: mean 0.1333, std 0.0577, t(0.975, 2) = 4.302653.
        var paired = Summary.Paired([0.9, 0.8, 0.85], [0.7, 0.7, 0.75]);
        Assert.Equal(0.4 / 3, paired.Mean, 12);
        Assert.Equal(Math.Sqrt(1.0 / 300), paired.Std, 12); // squared deviations 4/900 + 1/900 + 1/900, over n − 1 = 2
        Assert.Equal(0.4 / 3 - 4.302653 * paired.Std / Math.Sqrt(3), paired.Ci95[0], 5);
        Assert.Equal([0.2, 0.1, 0.1], paired.PerSeed.Select(v => Math.Round(v, 12)));
        // The pairing removes the shared seed effect: seeds differ a lot, the difference barely does.
        var shared = Summary.Paired([0.5, 0.9, 0.7, 0.6], [0.4, 0.8, 0.6, 0.5]);
        Assert.Equal(0.1, shared.Mean, 12);
        Assert.Equal(0, shared.Std, 9);
        Assert.Throws<ArgumentException>(() => Summary.Paired([1, 2], [1]));
    }

    [Fact]
    public void Wilson95_AtTheEdges_AndInTheMiddle()
    {
        // 0 of 10: [0, z² / (n + z²)] = [0, 0.27753]; 10 of 10 mirrors it; 5 of 10: 0.5 ± 0.26340.
        var none = Proportions.Wilson95(0, 10);
        Assert.Equal(0, none[0], 12);
        Assert.Equal(0.277532, none[1], 5);
        var all = Proportions.Wilson95(10, 10);
        Assert.Equal(1 - 0.277532, all[0], 5);
        Assert.Equal(1, all[1], 12);
        var half = Proportions.Wilson95(5, 10);
        Assert.Equal(0.236593, half[0], 5);
        Assert.Equal(0.763407, half[1], 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => Proportions.Wilson95(11, 10));
    }

    [Fact]
    public void Bootstrap_IntervalOfAMean_HoldsTheEstimate_AndNarrowsLikeOneOverRootN()
    {
        var random = new Random(21);
        double Width(int n, out double mean, out double[] ci)
        {
            var values = Enumerable.Range(0, n).Select(_ => RankStatisticsTests.Normal(random)).ToArray();
            mean = values.Average();
            ci = Bootstrap.Ci95(values, v => v.Average(), resamples: 4000, seed: 1);
            return ci[1] - ci[0];
        }
        double small = Width(25, out double smallMean, out var smallCi);
        double large = Width(400, out double largeMean, out var largeCi);
        Assert.InRange(smallMean, smallCi[0], smallCi[1]);
        Assert.InRange(largeMean, largeCi[0], largeCi[1]);
        // Normal theory: 2 · 1.96 / √n for unit variance (0.784 and 0.196); 16 times the data, a quarter of the width.
        Assert.InRange(small, 0.784 * 0.7, 0.784 * 1.3);
        Assert.InRange(large, 0.196 * 0.85, 0.196 * 1.15);
        Assert.InRange(small / large, 3, 5.5);
    }

    [Fact]
    public void Bootstrap_IsDeterministicForASeed_AndSkipsUndefinedResamples()
    {
        double[] values = [1, 2, 3, 4, 5, 6, 7, 8];
        Assert.Equal(Bootstrap.Ci95(values, v => v.Max(), 300, seed: 4), Bootstrap.Ci95(values, v => v.Max(), 300, seed: 4));
        Assert.NotEqual(Bootstrap.Ci95(values, v => v.Average(), 300, seed: 4), Bootstrap.Ci95(values, v => v.Average(), 300, seed: 5));
        // A statistic undefined on resamples without the first item: the interval comes from the others only.
        var ci = Bootstrap.Ci95(values, v => v.Contains(1) ? 1 : double.NaN, 300);
        Assert.Equal([1.0, 1.0], ci);
        Assert.All(Bootstrap.Ci95([1.0, 1.0], _ => double.NaN, 10), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void Ntg_IsTransferErrorMinusScratchError_AndItsSentenceStatesTheSign()
    {
        // transfer accuracies 0.90, 0.80, 0.85; scratch 0.70, 0.70, 0.75: errors differ by -0.20, -0.10, -0.10.
        var ntg = NtgSummary.From([0.70 - 0.90, 0.70 - 0.80, 0.75 - 0.85]);
        Assert.Equal(-0.4 / 3, ntg.Mean, 12);
        Assert.True(ntg.TransferClearlyHelped == (ntg.Ci95[1] < 0));
        // NTG's interval is -27.7 to +1.0 points (t with 2 degrees of freedom); a reduction reads it negated.
        Assert.StartsWith("transfer reduced test error by 13.3 points (95% CI -1.0 to 27.7 points, 3 seeds)", ntg.Sentence());
        var negative = NtgSummary.From([0.05, 0.07, 0.06]);
        Assert.True(negative.ClearlyNegative);
        // An increase reads NTG's own interval, +3.5 to +8.5 points.
        Assert.StartsWith("transfer increased test error by 6.0 points (95% CI 3.5 to 8.5 points, 3 seeds)", negative.Sentence());
        Assert.Contains("negative transfer", negative.Sentence());
    }

    [Fact]
    public void Ntg_WithOneSeed_SaysItHasNoIntervalWhereverItIsShown()
    {
        var one = NtgSummary.From([-0.05]);
        Assert.False(one.HasInterval);
        Assert.False(one.TransferClearlyHelped);
        Assert.Equal("1 seed: no interval", one.Interval());
        Assert.Equal("1 seed: no interval", one.Range());
        Assert.Equal("transfer reduced test error by 5.0 points (1 seed: no interval)", one.Sentence());

        var three = NtgSummary.From([0.05, 0.07, 0.06]);
        Assert.True(three.HasInterval);
        Assert.Equal("+3.5 to +8.5", three.Range());
        Assert.Equal("95% CI +3.5 to +8.5", three.Interval());
        Assert.Equal("3.5 to 8.5", three.Range(f => (f * 100).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
