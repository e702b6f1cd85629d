using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using WebLab.Data;
using WebLab.Web.Components.Shared;

namespace WebLab.Web.Tests.Components;

public sealed class ConfusionMatrixTests : BunitContext
{
    public ConfusionMatrixTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private IRenderedComponent<ConfusionMatrix> RenderMatrix(Func<string, bool>? rendered = null) => Render<ConfusionMatrix>(p => p
        .Add(c => c.Result, SampleResults.Experiment())
        .Add(c => c.JobId, "job_abc")
        .Add(c => c.Rendered, rendered ?? (_ => true)));

    [Fact]
    public void Cells_AreColouredByTheShareOfTheirRow_AndOnlyMistakesOpen()
    {
        var matrix = RenderMatrix();
        Assert.Equal(9, matrix.FindAll("td[data-cell]").Count);
        // Row 0 is 6 / 4 / 0 of 10: the diagonal is darker than the 4, which is darker than the empty cell.
        var scale = new HeatScale(0, 1, false);
        Assert.Contains(scale.Color(0.6), matrix.Find("td[data-cell='0->0']").GetAttribute("style"), StringComparison.Ordinal);
        Assert.Contains(scale.Color(0.4), matrix.Find("td[data-cell='0->1']").GetAttribute("style"), StringComparison.Ordinal);
        Assert.Contains(scale.Color(0), matrix.Find("td[data-cell='0->2']").GetAttribute("style"), StringComparison.Ordinal);
        // Off-diagonal cells with a count are buttons; the diagonal (correct) and empty cells are not.
        Assert.Equal(["0->1", "1->0"], matrix.FindAll("td[role=button]").Select(td => td.GetAttribute("data-cell")));
        Assert.Contains("share of the true class", matrix.Find(".weblab-scale").TextContent, StringComparison.Ordinal);
        Assert.Empty(matrix.FindAll("#misclassified"));
    }

    [Fact]
    public void ClickingACell_ListsItsImages_WithTrueAndPredictedClassesAsText()
    {
        var matrix = RenderMatrix();
        matrix.Find("td[data-cell='0->1']").Click();
        var panel = matrix.Find("#misclassified");
        Assert.Contains("True class sandal, predicted sneaker", panel.TextContent.Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("4 test images (transfer arm, seed 1); the first 2 are shown", panel.TextContent, StringComparison.Ordinal);
        var images = panel.QuerySelectorAll("img.weblab-thumb").Select(i => i.GetAttribute("src")).ToList();
        Assert.Equal([$"/api/jobs/job_abc/items/{ItemImages.FileName("test#11")}", $"/api/jobs/job_abc/items/{ItemImages.FileName("test#17")}"], images);

        // Another seed of the same arm, then a cell whose class name looks like markup: it stays text.
        matrix.FindAll("#confusion-runs button").Single(b => b.TextContent.Contains("transfer, seed 2", StringComparison.Ordinal)).Click();
        matrix.Find("td[data-cell='1->2']").Click();
        panel = matrix.Find("#misclassified");
        Assert.Contains("predicted <b>bag</b>", panel.TextContent, StringComparison.Ordinal);
        Assert.Empty(panel.QuerySelectorAll("b"));
        Assert.Contains("&lt;b&gt;bag&lt;/b&gt;", panel.InnerHtml, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutRenderedImages_TheItemIdsAreListed()
    {
        var matrix = RenderMatrix(_ => false);
        matrix.Find("td[data-cell='1->0']").Click();
        var panel = matrix.Find("#misclassified");
        Assert.Empty(panel.QuerySelectorAll("img"));
        Assert.Contains("test#3", panel.QuerySelector("figcaption")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("were not rendered", panel.TextContent, StringComparison.Ordinal);
    }
}
