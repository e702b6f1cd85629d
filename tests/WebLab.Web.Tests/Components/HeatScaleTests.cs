using WebLab.Web.Components.Shared;

namespace WebLab.Web.Tests.Components;

public sealed class HeatScaleTests
{
    [Fact]
    public void Sequential_RunsFromPaleAtTheMinimum_ToDeepAtTheMaximum_OverTheValuesRange()
    {
        var scale = HeatScale.Sequential([50, 80, 65]);
        Assert.Equal((50.0, 80.0), (scale.Min, scale.Max));
        Assert.Equal("#f3e5f5", scale.Color(50));
        Assert.Equal("#4a148c", scale.Color(80));
        Assert.Equal("#4a148c", scale.Color(95)); // clamped
        Assert.Equal(0.5, scale.Position(65));
        Assert.Equal("#000000", scale.TextColor(50)); // dark text on the pale end, white on the deep end
        Assert.Equal("#ffffff", scale.TextColor(80));
    }

    [Fact]
    public void AroundZero_IsSymmetric_WhiteAtZero_BlueWhenTransferHelped_RedWhenNegative()
    {
        var scale = HeatScale.AroundZero([-5, 15, 20]);
        Assert.Equal((-20.0, 20.0), (scale.Min, scale.Max));
        Assert.Equal("#f5f5f5", scale.Color(0));
        Assert.Equal("#1565c0", scale.Color(-20));
        Assert.Equal("#c62828", scale.Color(20));
        var helped = scale.Color(-10);
        var hurt = scale.Color(10);
        Assert.True(Convert.ToInt32(helped[5..7], 16) > Convert.ToInt32(helped[1..3], 16), $"{helped} is bluish");
        Assert.True(Convert.ToInt32(hurt[1..3], 16) > Convert.ToInt32(hurt[5..7], 16), $"{hurt} is reddish");
        Assert.StartsWith("linear-gradient(to right, #1565c0", scale.Gradient(), StringComparison.Ordinal);
    }

    [Fact]
    public void DegenerateRanges_StillGiveAScale()
    {
        Assert.Equal((-1.0, 1.0), (HeatScale.AroundZero([0, 0]).Min, HeatScale.AroundZero([]).Max));
        var single = HeatScale.Sequential([42]);
        Assert.True(single.Max > single.Min);
        Assert.Equal(0.5, single.Position(42));
        Assert.Equal(0, HeatScale.Sequential([1, 2]).Position(double.NaN));
    }
}
