namespace WebLab.Transfer;

/// <summary>
/// The validation study's findings as `weblab study` writes them (study.json beside raw.json and the plots): what the results
/// page, the README summary and the lab's Validation page show. Every number is derived from raw.json's per-seed records.
/// Accuracies and NTG are in points; NTG = test error(transfer) − test error(scratch): negative means transfer helped.
/// </summary>
/// <param name="Version">Format version (<see cref="CurrentVersion"/>).</param>
/// <param name="Generated">When the summary was written.</param>
/// <param name="Machine">CPU, cores, OS, runtime.</param>
/// <param name="Mode">"full" or "quick" (a smaller plan; see the study's plan table).</param>
/// <param name="Seeds">Seeds per configuration.</param>
/// <param name="ComputeSeconds">Sum of every step's own time (a resumed study counts each step once).</param>
/// <param name="WallSeconds">Wall time of the last run that computed anything (null when everything came from raw.json).</param>
/// <param name="Verdicts">Each claim, the test that decides it and its outcome.</param>
/// <param name="Plots">SVG figures written beside study.json.</param>
/// <param name="Presets">Section 1: every answer on each target, both arms tuned on validation.</param>
/// <param name="Measures">Section 2: each measure's rank correlations with transferred accuracy and with the gain.</param>
/// <param name="Recommender">Section 3: the recommender on calibration and held-out pairs.</param>
/// <param name="Reuse">What reusing scratch runs saved.</param>
/// <param name="Axis">The similarity axis's decision scored per source (null when the plan ran no preset contrast).</param>
public sealed record StudySummary(
    int Version,
    DateTimeOffset Generated,
    string Machine,
    string Mode,
    int Seeds,
    double ComputeSeconds,
    double? WallSeconds,
    IReadOnlyList<StudyVerdict> Verdicts,
    IReadOnlyList<StudyPlot> Plots,
    IReadOnlyList<StudyTaskSummary> Presets,
    IReadOnlyList<MeasureCorrelation> Measures,
    RecommenderSummary? Recommender,
    ReuseSummary? Reuse,
    IReadOnlyList<AxisChoice>? Axis = null)
{
    public const int CurrentVersion = 1;

    /// <summary>The file name beside raw.json.</summary>
    public const string FileName = "study.json";
}

/// <summary>A mean (or point estimate) with its 95 % interval; what each interval is (t over seeds, bootstrap) is said where it is used.</summary>
public sealed record Estimate(double Value, double Low, double High)
{
    /// <summary>The interval lies entirely below zero.</summary>
    public bool BelowZero => High < 0;

    /// <summary>The interval lies entirely above zero.</summary>
    public bool AboveZero => Low > 0;
}

/// <summary>How a claim fared.</summary>
public enum VerdictOutcome
{
    /// <summary>The test rejects the null hypothesis in the claimed direction.</summary>
    Holds,

    /// <summary>The test rejects it in the other direction.</summary>
    Fails,

    /// <summary>The interval includes the null value: the data cannot tell.</summary>
    Undecided,
}

/// <summary>A claim, the test with its threshold, the outcome and the numbers behind it.</summary>
public sealed record StudyVerdict(string Claim, string Test, VerdictOutcome Outcome, string Evidence);

/// <summary>A figure: its file beside study.json, a title and what to read in it.</summary>
public sealed record StudyPlot(string File, string Title, string Caption);

/// <summary>One (source, target) pair with every answer tried on it.</summary>
/// <param name="Id">Stable id (also raw.json's key prefix).</param>
/// <param name="Label">Target in words.</param>
/// <param name="Source">Source in words.</param>
/// <param name="Role">"calibration" (the recommender's thresholds were set on it) or "held-out" (never used to tune anything).</param>
/// <param name="Recommended">The recommender's answer (a preset id, or "scratch" for "don't transfer").</param>
/// <param name="BestOnValidation">The answer with the best mean validation accuracy after tuning.</param>
/// <param name="Size">Plane size coordinate.</param>
/// <param name="Similarity">Plane similarity coordinate.</param>
/// <param name="Rows">One row per answer.</param>
/// <param name="Regret">
/// Test accuracy of the validation-best answer the recommender could have given minus the recommended answer's, paired by seed
/// (points; t interval over seeds); null when the recommended answer did not run.
/// </param>
public sealed record StudyTaskSummary(string Id, string Label, string Source, string Role, string Recommended, string BestOnValidation, double Size,
    double Similarity, IReadOnlyList<AnswerRow> Rows, Estimate? Regret = null);

/// <summary>
/// One answer (a preset, or "scratch") on one pair after tuning its learning rate and budget on validation.
/// </summary>
/// <param name="Answer">Preset id or "scratch".</param>
/// <param name="Chosen">The grid point validation chose (e.g. "lr x2, 300 steps").</param>
/// <param name="ValidationAccuracy">Mean validation accuracy at that point (%).</param>
/// <param name="TestAccuracy">Mean test accuracy at that point, with its t interval over seeds (%).</param>
/// <param name="NtgMatched">NTG against the scratch arm tuned at the same number of updates (points; t interval over seeds; null for scratch).</param>
/// <param name="NtgTuned">NTG of each arm at its own best grid point on validation (points; null for scratch).</param>
/// <param name="VersusBest">Test accuracy minus that of the answer best on validation, paired by seed (points; t interval).</param>
public sealed record AnswerRow(string Answer, string Chosen, double ValidationAccuracy, Estimate TestAccuracy, Estimate? NtgMatched, Estimate? NtgTuned,
    Estimate VersusBest);

/// <summary>One measure's rank correlation with one outcome over a set of tasks.</summary>
/// <param name="Source">Which source's tasks.</param>
/// <param name="Measure">Measure id.</param>
/// <param name="Outcome">
/// <see cref="Accuracy"/> (transferred test accuracy), <see cref="Gain"/> (scratch error − transfer error) or <see cref="SimilarEdge"/>
/// (small-similar's test accuracy minus small-dissimilar's: the decision the plane's similarity axis makes).
/// </param>
/// <param name="N">Tasks.</param>
/// <param name="Kendall">Kendall τ-b with its permutation p-value and bootstrap interval.</param>
/// <param name="Spearman">Spearman ρ, likewise.</param>
/// <param name="PartialK">Spearman ρ with the class count K partialled out, likewise.</param>
public sealed record MeasureCorrelation(string Source, string Measure, string Outcome, int N, Correlation Kendall, Correlation Spearman,
    Correlation PartialK)
{
    public const string Accuracy = "accuracy", Gain = "gain", SimilarEdge = "similar-edge";
}

/// <summary>
/// The similarity axis as the decision it makes on the measures' tasks: small-similar when the plane's similarity is at or above its
/// boundary, else small-dissimilar; scored against the better of the two on test. Losses are points of test accuracy below the better.
/// </summary>
/// <param name="Source">Which source's tasks.</param>
/// <param name="Tasks">Tasks with both presets run.</param>
/// <param name="Right">Tasks where the axis's side scored at least as well on test.</param>
/// <param name="RightCi">Wilson 95 % interval of Right / Tasks.</param>
/// <param name="AxisLoss">Mean loss of the axis's choice.</param>
/// <param name="AlwaysSimilarLoss">Mean loss of always choosing small-similar.</param>
/// <param name="AlwaysDissimilarLoss">Mean loss of always choosing small-dissimilar.</param>
/// <param name="SimilarShare">Share of tasks the axis placed on the similar side.</param>
/// <param name="DissimilarBetter">Tasks where small-dissimilar scored strictly better on test.</param>
/// <param name="SimilarityOneShare">Share of tasks whose similarity read exactly 1 (the short fine-tune did not beat the best probe).</param>
public sealed record AxisChoice(string Source, int Tasks, int Right, double[] RightCi, double AxisLoss, double AlwaysSimilarLoss, double AlwaysDissimilarLoss,
    double SimilarShare, int DissimilarBetter, double SimilarityOneShare);

/// <summary>A correlation with a two-sided permutation p-value and a 95 % percentile bootstrap interval.</summary>
public sealed record Correlation(double Value, double PValue, double Low, double High);

/// <summary>The recommender scored on pairs: regret and how often it picked the answer best on validation.</summary>
/// <param name="HeldOutPairs">Held-out pairs scored.</param>
/// <param name="Regret">Mean regret on held-out pairs (points of test accuracy: the validation-best answer's minus the recommended one's), bootstrap interval over (pair, seed).</param>
/// <param name="BestChoiceRate">Share of held-out pairs where it chose the validation-best answer.</param>
/// <param name="BestChoiceCi">Wilson 95 % interval of that share.</param>
/// <param name="CalibrationRegret">The same regret on the calibration pairs (in-sample, for contrast).</param>
/// <param name="Thresholds">The frozen thresholds it was scored with (name to value).</param>
public sealed record RecommenderSummary(int HeldOutPairs, Estimate Regret, double BestChoiceRate, double[] BestChoiceCi, Estimate? CalibrationRegret,
    IReadOnlyDictionary<string, double> Thresholds);

/// <summary>Scratch runs the study took from the content-hash cache instead of training again.</summary>
public sealed record ReuseSummary(int ScratchRuns, int Reused, double SecondsSaved);
