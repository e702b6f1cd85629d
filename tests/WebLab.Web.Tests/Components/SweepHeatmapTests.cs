using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using WebLab.Web.Components.Shared;

namespace WebLab.Web.Tests.Components;

public sealed class SweepHeatmapTests : BunitContext
{
    public SweepHeatmapTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Fact]
    public void TwoDials_GiveNtgAndAccuracyHeatmaps_WithNumbersColoursAndLegends()
    {
        var grid = SampleResults.Grid();
        var view = Render<SweepView>(p => p.Add(c => c.Result, grid));
        var ntg = view.Find("#sweep-heat-ntg");
        Assert.Equal(["5", "20"], ntg.QuerySelectorAll("tbody th").Select(th => th.TextContent));
        Assert.Equal(["0.01", "0.1", "1"], ntg.QuerySelectorAll("thead th").Skip(1).Select(th => th.TextContent));
        // NTG = acc(scratch) - acc(transfer) in points; the scale is centred on 0 and reaches the largest gap (20).
        Assert.Equal(["-5.0", "+5.0", "+15.0", "0.0", "+10.0", "+20.0"], ntg.QuerySelectorAll("td").Select(td => td.TextContent));
        var gaps = grid.Points.Select(p => p.Result.Ntg!.Mean * 100).ToList();
        var scale = HeatScale.AroundZero(gaps);
        Assert.Equal(20, scale.Max, 6);
        Assert.Equal("background: #c62828; color: #ffffff", ntg.QuerySelector("td[data-point='perClass=20, lr=1']")!.GetAttribute("style"));
        Assert.Equal($"background: {scale.Color(gaps[0])}; color: #000000", ntg.QuerySelector("td[data-point='perClass=5, lr=0.01']")!.GetAttribute("style"));

        var accuracy = view.Find("#sweep-heat-accuracy");
        Assert.Equal(["70.0", "60.0", "50.0", "80.0", "70.0", "60.0"], accuracy.QuerySelectorAll("td").Select(td => td.TextContent));
        Assert.Contains("background: #4a148c", accuracy.QuerySelector("td[data-point='perClass=20, lr=0.01']")!.GetAttribute("style"), StringComparison.Ordinal);

        var legends = view.FindAll(".weblab-scale").Select(l => l.TextContent).ToList();
        Assert.Equal(2, legends.Count);
        Assert.Contains("-20.0", legends[0], StringComparison.Ordinal);
        Assert.Contains("+20.0", legends[0], StringComparison.Ordinal);
        Assert.Contains("NTG, points", legends[0], StringComparison.Ordinal);
        Assert.Contains("50.0", legends[1], StringComparison.Ordinal);
        Assert.Contains("80.0", legends[1], StringComparison.Ordinal);
        Assert.Contains("accuracy, %", legends[1], StringComparison.Ordinal);
        // The curves along perClass get one line per learning rate (transfer and scratch: 6; NTG: 3).
        Assert.Equal(6 + 3, view.FindAll("svg.weblab-chart polyline").Count);
    }

    [Fact]
    public void WhileTheSweepRuns_UnfinishedPointsArePending_InTheHeatmapsAndTheTable()
    {
        var view = Render<SweepView>(p => p.Add(c => c.Result, SampleResults.Grid(done: 4)).Add(c => c.Live, true));
        var pending = view.FindAll("#sweep-heat-ntg td.weblab-pending");
        Assert.Equal(["perClass=20, lr=0.1", "perClass=20, lr=1"], pending.Select(td => td.GetAttribute("data-point")));
        Assert.All(pending, td => Assert.Equal("…", td.TextContent));
        var rows = view.FindAll("#sweep-table tbody tr");
        Assert.Equal(6, rows.Count);
        Assert.Equal(2, view.FindAll("#sweep-table tbody tr.weblab-pending").Count);
        Assert.Contains("still to run", rows[5].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void OneDial_HasNoHeatmap()
    {
        var grid = SampleResults.Grid();
        var oneAxis = grid with { Axes = [grid.Axes[0], new("lr", ["0.01"])], Points = grid.Points.Where(p => p.Settings["lr"] == "0.01").ToList() };
        var view = Render<SweepView>(p => p.Add(c => c.Result, oneAxis));
        Assert.Empty(view.FindAll("#sweep-heatmaps"));
        Assert.Equal(2, view.FindAll("#sweep-table tbody tr").Count);
        Assert.Equal(3, view.FindAll("svg.weblab-chart polyline").Count); // transfer, scratch; NTG
    }
}
