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
    public void Ntg_IsTransferErrorMinusScratchError_AndItsSentenceStatesTheSign()
    {
        // transfer accuracies 0.90, 0.80, 0.85; scratch 0.70, 0.70, 0.75: errors differ by -0.20, -0.10, -0.10.
        var ntg = NtgSummary.From([0.70 - 0.90, 0.70 - 0.80, 0.75 - 0.85]);
        Assert.Equal(-0.4 / 3, ntg.Mean, 12);
        Assert.True(ntg.TransferClearlyHelped == (ntg.Ci95[1] < 0));
        Assert.StartsWith("transfer reduced test error by 13.3 points", ntg.Sentence());
        var negative = NtgSummary.From([0.05, 0.07, 0.06]);
        Assert.True(negative.ClearlyNegative);
        Assert.StartsWith("transfer increased test error by 6.0 points", negative.Sentence());
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
