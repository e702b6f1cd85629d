using System.Net;
using WebLab.Tests;
using WebLab.Transfer;

namespace WebLab.Web.Tests.Study;

/// <summary>The Validation page and the plot route through the host, with the study folder set to a temporary one.</summary>
public sealed class StudyPlotsTests
{
    private sealed class StudyLab : LabApiFactory
    {
        public TempDir Study { get; } = new();

        protected override IEnumerable<(string Key, string Value)> Settings => [("WebLab:StudyFolder", Study.Path)];

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing)
                Study.Dispose();
        }
    }

    [Fact]
    public async Task APlotStudyJsonNames_IsServedAsSvgWithAPolicyThatStopsScripts_AnythingElseIs404()
    {
        using var lab = new StudyLab();
        File.WriteAllText(lab.Study.File(StudySummary.FileName), WebLabJson.Serialize(SampleStudy.Summary()));
        File.WriteAllText(lab.Study.File(SampleStudy.Plot), SampleStudy.Svg);
        File.WriteAllText(lab.Study.File("unlisted.svg"), SampleStudy.Svg);
        var client = lab.ClientFor("alice");

        var plot = await client.GetAsync("/validation/plots/plane.svg");
        Assert.Equal(HttpStatusCode.OK, plot.StatusCode);
        Assert.Equal("image/svg+xml", plot.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(";", plot.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("sandbox", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", plot.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(SampleStudy.Svg, await plot.Content.ReadAsStringAsync());
        // The lab's pages keep their own policy.
        Assert.Contains("script-src 'self'", string.Join(";", (await client.GetAsync("/validation")).Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);

        foreach (var path in new[]
        {
            "/validation/plots/unlisted.svg", $"/validation/plots/{SampleStudy.AbsentPlot}", "/validation/plots/study.json",
            "/validation/plots/..%2fstudy.json", "/validation/plots/..%2F..%2Fappsettings.json", "/validation/plots/%2e%2e%2fplane.svg",
            "/validation/plots/..%5cplane.svg", "/validation/plots/%2e%2e/study.json", "/validation/study.json",
        })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(path)).StatusCode);
        }
        // Signed out: nothing.
        Assert.NotEqual(HttpStatusCode.OK, (await lab.CreateClient(new() { AllowAutoRedirect = false }).GetAsync("/validation/plots/plane.svg")).StatusCode);
    }

    [Fact]
    public async Task WithoutStudyJson_ThePageSaysSo_AndNoPlotIsServed()
    {
        using var lab = new StudyLab();
        File.WriteAllText(lab.Study.File(SampleStudy.Plot), SampleStudy.Svg);
        var client = lab.ClientFor("alice");
        var page = await client.GetStringAsync("/validation");
        Assert.Contains("No study results in this build: run `weblab study`", page, StringComparison.Ordinal);
        Assert.DoesNotContain(lab.Study.Path, page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/validation/plots/plane.svg")).StatusCode);

        File.WriteAllText(lab.Study.File(StudySummary.FileName), "{ \"version\": 1, \"verdicts\": [ { \"claim\": ");
        page = await client.GetStringAsync("/validation");
        Assert.Contains("could not be read", page, StringComparison.Ordinal);
        Assert.DoesNotContain(lab.Study.Path, page, StringComparison.Ordinal);
        Assert.DoesNotContain("JsonException", page, StringComparison.Ordinal);
    }
}
