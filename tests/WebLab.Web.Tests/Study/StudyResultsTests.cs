using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WebLab.Lab;
using WebLab.Tests;
using WebLab.Transfer;
using WebLab.Web.Study;

namespace WebLab.Web.Tests.Study;

/// <summary>Reading study.json from the study folder: a summary, or a plain sentence without the folder's path.</summary>
public sealed class StudyResultsTests
{
    private static StudyResults In(string folder) =>
        new(Options.Create(new LabOptions { StudyFolder = folder }), NullLogger<StudyResults>.Instance);

    [Fact]
    public void AWrittenStudy_ReadsBackAsTheSameRecords()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File(StudySummary.FileName), WebLabJson.Serialize(SampleStudy.Summary()));
        var read = In(dir.Path).Read();
        Assert.Null(read.Problem);
        Assert.Equal("quick", read.Summary!.Mode);
        Assert.Equal(-12.4, read.Summary.Presets[0].Rows[0].NtgMatched!.Value);
        Assert.Null(read.Summary.Presets[0].Rows[2].NtgMatched);
        Assert.Equal(VerdictOutcome.Undecided, read.Summary.Verdicts[2].Outcome);
    }

    [Theory]
    [InlineData(null, StudyResults.Missing)]
    [InlineData("{ not json", StudyResults.Unreadable)]
    [InlineData("[1, 2]", StudyResults.Unreadable)]
    [InlineData("""{ "version": 1, "mode": "quick" }""", StudyResults.Unreadable)] // members missing: never half a page
    [InlineData("""{ "version": 2 }""", "The study results are in format 2; this lab reads format 1. Run this lab's `weblab study`, or update the lab.")]
    public void NoUsableStudy_IsAPlainSentence_WithoutTheFolder(string? json, string expected)
    {
        using var dir = new TempDir();
        if (json is not null)
            File.WriteAllText(dir.File(StudySummary.FileName), json);
        var read = In(dir.Path).Read();
        Assert.Null(read.Summary);
        Assert.Equal(expected, read.Problem);
        Assert.DoesNotContain(dir.Path, read.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void APlot_IsServedOnlyWhenStudyJsonNamesIt_AsAPlainSvgFileName_AndItIsThere()
    {
        using var dir = new TempDir();
        var summary = SampleStudy.Summary() with
        {
            Plots = [.. SampleStudy.Summary().Plots, new("../secret.svg", "t", "c"), new("sub/inner.svg", "t", "c"), new("notes.txt", "t", "c")],
        };
        File.WriteAllText(dir.File(StudySummary.FileName), WebLabJson.Serialize(summary));
        File.WriteAllText(dir.File(SampleStudy.Plot), SampleStudy.Svg);
        File.WriteAllText(dir.File("unlisted.svg"), SampleStudy.Svg);
        File.WriteAllText(dir.File("sub/inner.svg"), SampleStudy.Svg);
        File.WriteAllText(dir.File("notes.txt"), "x");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(dir.Path)!, "secret.svg"), SampleStudy.Svg);
        try
        {
            var study = In(dir.Path);
            Assert.Equal(Path.Combine(dir.Path, SampleStudy.Plot), study.PlotPath(SampleStudy.Plot));
            foreach (var file in new[] { SampleStudy.AbsentPlot, "unlisted.svg", "../secret.svg", "sub/inner.svg", "notes.txt", "study.json", "" })
                Assert.Null(study.PlotPath(file));
            Assert.True(study.HasPlot(SampleStudy.Plot));
            Assert.False(study.HasPlot(SampleStudy.AbsentPlot));
        }
        finally
        {
            File.Delete(Path.Combine(Path.GetDirectoryName(dir.Path)!, "secret.svg"));
        }
    }

    [Theory]
    [InlineData("plane.svg", true)]
    [InlineData("NTG by size.SVG", true)]
    [InlineData("../plane.svg", false)]
    [InlineData("..\\plane.svg", false)]
    [InlineData("a/b.svg", false)]
    [InlineData("/etc/x.svg", false)]
    [InlineData("c:x.svg", false)]
    [InlineData(".hidden.svg", false)]
    [InlineData("plane.png", false)]
    [InlineData("study.json", false)]
    [InlineData(".svg", false)]
    [InlineData("line\nbreak.svg", false)]
    public void PlotNames_ArePlainSvgFileNames(string file, bool plain) => Assert.Equal(plain, StudyResults.IsPlotName(file));

    [Fact]
    public void WithoutASetting_TheStudyIsTheOneShippedNextToTheApplication()
    {
        var study = new StudyResults(Options.Create(new LabOptions()), NullLogger<StudyResults>.Instance);
        // The test output holds the build's study/ folder when bench/study has results (the csproj copies study.json and the plots there).
        Assert.Equal(File.Exists(Path.Combine(AppContext.BaseDirectory, StudyResults.ShippedFolder, StudySummary.FileName)), study.Read().Summary is not null);
    }
}
