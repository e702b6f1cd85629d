using Bunit;
using WebLab.Web.Components.Shared;

namespace WebLab.Web.Tests;

/// <summary>bUnit tests of components with logic.</summary>
public sealed class ComponentTests : BunitContext
{
    [Theory]
    [InlineData(0, 100, 5, new[] { 0.0, 20, 40, 60, 80, 100 })]
    [InlineData(0, 30, 8, new[] { 0.0, 5, 10, 15, 20, 25, 30 })]
    [InlineData(-17, 3, 5, new[] { -15.0, -10, -5, 0 })]
    [InlineData(0.2, 1.7, 5, new[] { 0.5, 1.0, 1.5 })]
    public void Ticks_AreNiceNumbersInsideTheRange(double min, double max, int count, double[] expected) =>
        Assert.Equal(expected, LineChart.Ticks(min, max, count));

    [Fact]
    public void LineChart_DrawsOneLinePerSeries_WithAxisTitles_AndUserTextAsText()
    {
        var chart = Render<LineChart>(p => p
            .Add(c => c.Title, "Validation accuracy per epoch")
            .Add(c => c.XTitle, "epoch")
            .Add(c => c.YTitle, "validation accuracy (%)")
            .Add(c => c.YMin, 0)
            .Add(c => c.YMax, 100)
            .Add(c => c.XMax, 30)
            .Add(c => c.Series, [
                new LineChart.ChartSeries("transfer, seed 0", "#1e88e5", [(1, 40), (2, 60), (3, 70)]),
                new LineChart.ChartSeries("<b>scratch</b>", "#e53935", [(1, 20), (2, 30)], Dashed: true),
            ]));
        var lines = chart.FindAll("polyline");
        Assert.Equal(2, lines.Count);
        Assert.Equal("none", lines[0].GetAttribute("stroke-dasharray"));
        Assert.Equal("5 4", lines[1].GetAttribute("stroke-dasharray"));
        // y = 100 % maps to the top of the plot area, y = 0 to its bottom; x spans the whole budget (30 epochs).
        var first = lines[0].GetAttribute("points")!.Split(' ').Select(p => p.Split(',').Select(double.Parse).ToArray()).ToArray();
        Assert.Equal(3, first.Length);
        Assert.True(first[0][1] > first[2][1], "higher accuracy is drawn higher");
        Assert.True(first[2][0] < 640 / 2.0, "3 of 30 epochs stays in the left part of the frame");
        Assert.Contains("epoch", chart.Markup, StringComparison.Ordinal);
        Assert.Contains("validation accuracy (%)", chart.Markup, StringComparison.Ordinal);
        Assert.Empty(chart.FindAll("b")); // a series name is text, never markup
        Assert.Contains("&lt;b&gt;scratch&lt;/b&gt;", chart.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void LineChart_WithNoData_StillDrawsItsFrame()
    {
        var chart = Render<LineChart>(p => p.Add(c => c.XTitle, "epoch").Add(c => c.YTitle, "loss"));
        Assert.Empty(chart.FindAll("polyline"));
        Assert.Equal(2, chart.FindAll("line.axis").Count);
    }
}
