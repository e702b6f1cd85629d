using System.Text.Json;
using Microsoft.Extensions.Options;
using WebLab.Lab;
using WebLab.Transfer;

namespace WebLab.Web.Study;

/// <summary>What reading the study gave: its summary, or a sentence for the page saying why there is none.</summary>
public sealed record StudyRead(StudySummary? Summary, string? Problem);

/// <summary>
/// The validation study the Validation page shows: study.json and the SVG plots it names, in <see cref="LabOptions.StudyFolder"/>
/// or, by default, the study committed with the build (the csproj ships bench/study as study/ next to the application).
/// Read on every request: a few kilobytes, and a fresh `weblab study` shows without a restart. What leaves this class is a
/// summary or a plain sentence; the folder's path and the reason a file could not be read go to the log only.
/// </summary>
public sealed class StudyResults(IOptions<LabOptions> options, ILogger<StudyResults> log)
{
    /// <summary>The folder next to the application the build ships the committed study in.</summary>
    public const string ShippedFolder = "study";

    public const string Missing =
        "No study results in this build: run `weblab study` (it writes bench/study/study.json, which the next build ships), "
        + "or point the WebLab:StudyFolder setting at a folder that has them.";

    public const string Unreadable =
        "The study results in this build could not be read: study.json is not a study summary this lab understands. Run `weblab study` again.";

    private readonly string _folder = options.Value.StudyFolder is { Length: > 0 } configured
        ? Path.GetFullPath(configured)
        : Path.Combine(AppContext.BaseDirectory, ShippedFolder);

    public StudyRead Read()
    {
        var file = Path.Combine(_folder, StudySummary.FileName);
        if (!File.Exists(file))
            return new(null, Missing);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Refuse(file, "not a JSON object");
            // A newer format may have moved things: say so rather than show half of it.
            if (root.TryGetProperty("version", out var v) && v.TryGetInt32(out var version) && version != StudySummary.CurrentVersion)
                return new(null, $"The study results are in format {version}; this lab reads format {StudySummary.CurrentVersion}. Run this lab's `weblab study`, or update the lab.");
            var summary = root.Deserialize<StudySummary>(WebLabJson.Options);
            return summary is not null && IsComplete(summary) ? new(summary, null) : Refuse(file, "a required field is missing or null");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            log.LogWarning(e, "The validation study {File} could not be read", file);
            return new(null, Unreadable);
        }
    }

    /// <summary>Whether study.json names <paramref name="file"/> as a plot and it is there, a plain SVG file name in the study folder.</summary>
    public bool HasPlot(string file) => IsPlotName(file) && File.Exists(Path.Combine(_folder, file));

    /// <summary>The full path of a plot study.json names, or null: any other name, or anything that is not a plain .svg file name, is not served.</summary>
    public string? PlotPath(string file)
    {
        if (!IsPlotName(file) || Read().Summary is not { } summary || !summary.Plots.Any(p => p.File == file))
            return null;
        var path = Path.Combine(_folder, file);
        return File.Exists(path) ? path : null;
    }

    /// <summary>A file name of the study folder itself, ending in .svg: no folder part, no "..", no hidden file, no control characters.</summary>
    public static bool IsPlotName(string file) =>
        file.Length is > 4 and <= 200
        && file.EndsWith(".svg", StringComparison.OrdinalIgnoreCase)
        && !file.StartsWith('.')
        && file.IndexOfAny(['/', '\\', ':']) < 0
        && !file.Any(char.IsControl)
        && Path.GetFileName(file) == file;

    private StudyRead Refuse(string file, string why)
    {
        log.LogWarning("The validation study {File} could not be read: {Why}", file, why);
        return new(null, Unreadable);
    }

    // System.Text.Json leaves a missing member null even where the record says it cannot be: check what the page reads.
    private static bool IsComplete(StudySummary s) =>
        s is { Machine: not null, Mode: not null, Verdicts: not null, Plots: not null, Presets: not null, Measures: not null }
        && s.Verdicts.All(v => v is { Claim: not null, Test: not null, Evidence: not null })
        && s.Plots.All(p => p is { File: not null, Title: not null, Caption: not null })
        && s.Presets.All(t => t is { Id: not null, Label: not null, Source: not null, Role: not null, Recommended: not null, BestOnValidation: not null, Rows: not null }
            && t.Rows.All(r => r is { Answer: not null, Chosen: not null, TestAccuracy: not null, VersusBest: not null }))
        && s.Measures.All(m => m is { Source: not null, Measure: not null, Outcome: not null, Kendall: not null, Spearman: not null, PartialK: not null })
        && s.Recommender is null or { Regret: not null, BestChoiceCi: not null, Thresholds: not null };
}
