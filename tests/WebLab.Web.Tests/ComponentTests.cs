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

    [Fact]
    public void PlaneChart_DrawsTheRegions_AndPlacesTheTarget()
    {
        var chart = Render<PlaneChart>(p => p.Add(c => c.Size, 0.5).Add(c => c.Similarity, 1.0).Add(c => c.Highlight, "small-similar")
            .Add(c => c.Label, "<script>x</script>"));
        Assert.Equal(5, chart.FindAll("rect.region").Count);
        Assert.Single(chart.FindAll("rect.region.chosen.region-small-similar"));
        var target = chart.Find("circle.target");
        // size 0.5 is the middle of -0.5..1.5 (x = 56 + 0.5 x 492 = 302); similarity 1 is the top of the plot (y = 10).
        Assert.Equal("302", target.GetAttribute("cx"));
        Assert.Equal("10", target.GetAttribute("cy"));
        Assert.DoesNotContain("<script>", chart.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void AnalysisView_ShowsTheChoice_TheReasons_AndEveryMeasure()
    {
        var analysis = new WebLab.Transfer.AnalysisResult(
            new WebLab.Training.TargetSummary("<b>mine</b>", ["a", "b"], 10, 20, 10, 10, [10, 10]),
            new WebLab.Training.SourceSummary("s", "src", "resnet8", "d", ["x", "y"], 0.9),
            new WebLab.Transfer.SizeFigures(20, 10, 2, 77_429, 28),
            [new("leep", "LEEP", -0.4, null, 0.01, "-0.69..0", "Field guide 5"), new("probe", "Linear probe accuracy (val)", 0.9, 3, 0.2, "0..1", "Field guide 5")],
            [new WebLab.Transfer.StageMeasures(1, 16, 0.8, 0.7, -0.3, 0.5, 0.1), new WebLab.Transfer.StageMeasures(2, 32, 0.9, 0.8, -0.2, 0.7, 0.1)],
            0.5, 3.2, "cpu");
        var report = new WebLab.Transfer.AnalysisReport(analysis, WebLab.Transfer.Recommender.Recommend(analysis with
        {
            Measures = [.. analysis.Measures, new("fine-tune", "ft", 0.92, null, 1, "0..1", "")],
        }));
        var view = Render<AnalysisView>(p => p.Add(c => c.Report, report));
        Assert.Contains(report.Recommendation.PresetTag, view.Find("#recommended-preset").TextContent, StringComparison.Ordinal);
        Assert.Equal(report.Recommendation.Reasons.Count + report.Recommendation.Adjustments.Count, view.FindAll("ul.weblab-reasons li").Count);
        Assert.Contains("LEEP", view.Markup, StringComparison.Ordinal);
        Assert.Equal(2, view.FindAll("tbody")[1].Children.Length);
        Assert.DoesNotContain("<b>mine</b>", view.Markup, StringComparison.Ordinal);
        Assert.NotNull(view.Find("#track-record-empty"));

        var withHistory = Render<AnalysisView>(p => p
            .Add(c => c.Report, report)
            .Add(c => c.TrackRecord, [new("leep", "LEEP", -0.5, 4), new("logme", "LogME", double.NaN, 2)]));
        var rows = withHistory.FindAll("#track-record tbody tr").Select(r => r.Children.Select(c => c.TextContent).ToArray()).ToList();
        Assert.Equal([["LEEP", "-0.50", "4"], ["LogME", "-", "2"]], rows);
        Assert.Empty(withHistory.FindAll("#track-record-empty"));
    }

    [Fact]
    public void AnalysisView_SaysWhyLeepAndNceAreMissing_ForAHeadlessSource()
    {
        var analysis = new WebLab.Transfer.AnalysisResult(
            new WebLab.Training.TargetSummary("shapes", ["a", "b"], 10, 20, 10, 10, [10, 10]),
            new WebLab.Training.SourceSummary("s", "ResNet-18 (ImageNet, ML.NET)", "resnet18-cntk", "imagenet-1k", [], null),
            new WebLab.Transfer.SizeFigures(20, 10, 2, 11_000_000, 224),
            [new("probe", "Linear probe accuracy (val)", 0.9, 4, 0.2, "0..1", "Field guide 5"), new("fine-tune", "ft", 0.92, null, 1, "0..1", "")],
            [new WebLab.Transfer.StageMeasures(4, 512, 0.9, 0.8, -0.2, 0.7, 0.1)],
            0.5, 3.2, "cpu",
            [new("leep", "LEEP", WebLab.Transfer.Measures.NoHeadReason, "Field guide 5"), new("nce", "NCE (−H(Y|Z))", WebLab.Transfer.Measures.NoHeadReason, "Field guide 5")]);
        var report = new WebLab.Transfer.AnalysisReport(analysis, WebLab.Transfer.Recommender.Recommend(analysis));
        var view = Render<AnalysisView>(p => p.Add(c => c.Report, report));
        foreach (var id in new[] { "leep", "nce" })
        {
            var cells = view.Find($"#measure-unavailable-{id}").Children.Select(c => c.TextContent).ToArray();
            Assert.Equal("-", cells[1]);
            Assert.Equal("not available: this source has no classifier head", cells[2]);
        }
        Assert.Contains("LEEP and NCE are missing because this source was published without its classifier head", 
            System.Text.RegularExpressions.Regex.Replace(view.Find("#unavailable-note").TextContent, @"\s+", " "), StringComparison.Ordinal);
        Assert.DoesNotContain("0.000", view.Find("#measure-unavailable-leep").TextContent, StringComparison.Ordinal);
    }
}
