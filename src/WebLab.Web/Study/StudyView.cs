using System.Globalization;
using MudBlazor;
using WebLab.Transfer;

namespace WebLab.Web.Study;

/// <summary>
/// The study summary as the Validation page's rows: every number as text with its unit and its 95 % interval, so the
/// markup only lays them out. Accuracies are in %, NTG and differences in points (pt), signed.
/// </summary>
internal sealed record StudyView(StudyHeader Header, IReadOnlyList<VerdictLine> Verdicts, IReadOnlyList<PlotLine> Plots, IReadOnlyList<TaskTable> Tasks,
    IReadOnlyList<MeasureLine> Measures, RecommenderLines? Recommender, string? Reuse)
{
    /// <summary>What a missing number (the scratch arm's NTG, a regret not measured) shows.</summary>
    public const string None = "-";

    /// <param name="summary">The study.</param>
    /// <param name="hasPlot">Whether a plot's file is there to serve.</param>
    public static StudyView Of(StudySummary summary, Func<string, bool> hasPlot) => new(
        HeaderOf(summary),
        summary.Verdicts.Select(v => new VerdictLine(v.Claim, v.Test, OutcomeText(v.Outcome), OutcomeColor(v.Outcome), v.Evidence)).ToList(),
        summary.Plots.Select(p => new PlotLine(p.Title, p.Caption, hasPlot(p.File) ? StudyPlots.Url(p.File) : null)).ToList(),
        summary.Presets.Select(TaskOf).ToList(),
        summary.Measures.Select(MeasureOf).ToList(),
        summary.Recommender is { } r ? RecommenderOf(r) : null,
        summary.Reuse is { } reuse
            ? $"{reuse.Reused} of {Count(reuse.ScratchRuns, "scratch run")} came from the cache instead of training again, saving {Duration(reuse.SecondsSaved)} of compute"
            : null);

    private static StudyHeader HeaderOf(StudySummary s) => new(
        s.Mode switch
        {
            "quick" => "quick (a smaller plan than the full study)",
            "full" => "full",
            var other => other,
        },
        s.Machine,
        Count(s.Seeds, "seed") + " per configuration",
        $"{Duration(s.ComputeSeconds)} (each step's own time, summed)",
        s.WallSeconds is { } wall ? $"{Duration(wall)} wall time in the last run" : "nothing recomputed in the last run (all from raw.json)",
        s.Generated.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC");

    public static string OutcomeText(VerdictOutcome outcome) => outcome switch
    {
        VerdictOutcome.Holds => "holds",
        VerdictOutcome.Fails => "fails",
        _ => "undecided",
    };

    public static Color OutcomeColor(VerdictOutcome outcome) => outcome switch
    {
        VerdictOutcome.Holds => Color.Success,
        VerdictOutcome.Fails => Color.Error,
        _ => Color.Warning,
    };

    private static TaskTable TaskOf(StudyTaskSummary t) => new(
        t.Label,
        t.Source,
        t.Role switch
        {
            "held-out" => "held-out (never used to tune anything)",
            "calibration" => "calibration (the recommender's thresholds were set on it)",
            var other => other,
        },
        $"size {Number(t.Size, "0.00")}, similarity {Number(t.Similarity, "0.00")}",
        t.Recommended,
        t.BestOnValidation,
        t.Rows.Select(r => new AnswerLine(
            r.Answer, r.Answer == t.Recommended, r.Answer == t.BestOnValidation, r.Chosen, Percent(r.ValidationAccuracy), Percent(r.TestAccuracy),
            r.NtgMatched is { } matched ? Points(matched) : None, r.NtgTuned is { } tuned ? Points(tuned) : None, Points(r.VersusBest))).ToList());

    private static MeasureLine MeasureOf(MeasureCorrelation m) => new(
        m.Source,
        m.Measure,
        m.Outcome switch
        {
            MeasureCorrelation.Accuracy => "transferred accuracy",
            MeasureCorrelation.Gain => "gain (scratch error - transfer error)",
            MeasureCorrelation.SimilarEdge => "similar edge (small-similar - small-dissimilar accuracy)",
            var other => other,
        },
        m.N.ToString(CultureInfo.InvariantCulture),
        Correlation(m.Kendall),
        Correlation(m.Spearman),
        Correlation(m.PartialK));

    private static RecommenderLines RecommenderOf(RecommenderSummary r)
    {
        var chosen = (int)Math.Round(r.BestChoiceRate * r.HeldOutPairs);
        var interval = r.BestChoiceCi is [var low, var high] ? $", Wilson 95 % interval [{Number(low * 100, "0")}, {Number(high * 100, "0")}] %" : "";
        return new(
            Count(r.HeldOutPairs, "held-out pair"),
            Points(r.Regret, signed: false),
            $"{chosen} of {r.HeldOutPairs} ({Number(r.BestChoiceRate * 100, "0")} %){interval}",
            r.CalibrationRegret is { } calibration ? Points(calibration, signed: false) : None,
            r.Thresholds.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new ThresholdLine(t.Key, Number(t.Value, "0.###"))).ToList());
    }

    /// <summary>An accuracy in %: 88.14 -> "88.1 %".</summary>
    public static string Percent(double value) => Number(value, "0.0") + " %";

    /// <summary>An accuracy in % with its interval: "88.1 % [86.9, 89.3]".</summary>
    public static string Percent(Estimate e) => $"{Percent(e.Value)} [{Number(e.Low, "0.0")}, {Number(e.High, "0.0")}]";

    /// <summary>A difference in points with its interval, signed: "-2.3 pt [-3.1, -1.5]".</summary>
    public static string Points(Estimate e, bool signed = true)
    {
        string N(double v) => signed ? SignedNumber.Format(v, 1) : Number(v, "0.0");
        return $"{N(e.Value)} pt [{N(e.Low)}, {N(e.High)}]";
    }

    /// <summary>A correlation with its bootstrap interval and permutation p-value: "+0.42 [+0.10, +0.71] p = 0.03".</summary>
    public static string Correlation(Correlation c) => $"{SignedNumber.Interval(c.Value, c.Low, c.High, 2)} {PValue(c.PValue)}";

    public static string PValue(double p) =>
        p < 0.001 ? "p < 0.001" : "p = " + Number(p, p < 0.01 ? "0.000" : "0.00");

    /// <summary>Seconds as the unit that reads best: "45 s", "30.2 min", "2.5 h".</summary>
    public static string Duration(double seconds) =>
        seconds < 90 ? Number(seconds, "0") + " s"
        : seconds < 90 * 60 ? Number(seconds / 60, "0.0") + " min"
        : Number(seconds / 3600, "0.0") + " h";

    private static string Count(int n, string noun) => $"{n.ToString(CultureInfo.InvariantCulture)} {noun}{(n == 1 ? "" : "s")}";

    private static string Number(double value, string format) =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "?";
}

/// <summary>The study's run: mode, machine, seeds, compute and wall time, date.</summary>
internal sealed record StudyHeader(string Mode, string Machine, string Seeds, string Compute, string Wall, string Generated);

/// <summary>A claim and how it fared; <paramref name="Color"/> colours the outcome's chip.</summary>
internal sealed record VerdictLine(string Claim, string Test, string Outcome, Color Color, string Evidence);

/// <summary>A figure; <paramref name="Url"/> is null when its file is not in the study folder.</summary>
internal sealed record PlotLine(string Title, string Caption, string? Url);

/// <summary>One (source, target) pair with every answer tried on it.</summary>
internal sealed record TaskTable(string Target, string Source, string Role, string Plane, string Recommended, string BestOnValidation,
    IReadOnlyList<AnswerLine> Rows);

/// <summary>One answer on a pair: the grid point validation chose and what it gave.</summary>
internal sealed record AnswerLine(string Answer, bool Recommended, bool BestOnValidation, string Chosen, string Validation, string Test,
    string NtgMatched, string NtgTuned, string VersusBest);

/// <summary>One measure's correlations with one outcome.</summary>
internal sealed record MeasureLine(string Source, string Measure, string Outcome, string N, string Kendall, string Spearman, string PartialK);

/// <summary>The recommender on held-out pairs, with the calibration regret for contrast and the thresholds it was frozen with.</summary>
internal sealed record RecommenderLines(string Pairs, string Regret, string BestChoice, string CalibrationRegret, IReadOnlyList<ThresholdLine> Thresholds);

/// <summary>A frozen threshold.</summary>
internal sealed record ThresholdLine(string Name, string Value);
