using System.Globalization;
using System.Text.Json.Serialization;
using WebLab.Transfer;

namespace WebLab.Training;

/// <summary>What one arm trained with, fully resolved.</summary>
/// <param name="LearningRateFloor">The schedule's floor as a fraction of the base rate (0: it decays to 0).</param>
/// <param name="DecayMilestones">The staircase schedule's milestones (fractions of the budget); null for other schedules.</param>
/// <param name="SampleWithReplacement">A training set smaller than a batch was sampled with replacement (<see cref="TransferDials.SampleWithReplacement"/>).</param>
public sealed record ArmSettings(
    string Optimizer,
    double Momentum,
    bool Nesterov,
    string Schedule,
    int WarmupSteps,
    double DecaySpeed,
    int Epochs,
    int TotalSteps,
    int BatchSize,
    double LabelSmoothing,
    double MixupAlpha,
    double BssEta,
    int BssK,
    bool HeadFirst,
    string Augmentation,
    int InputSize,
    int Channels,
    float[] Mean,
    float[] Std,
    string Architecture,
    int? HeadStage,
    IReadOnlyList<BlockPlan> Blocks,
    double LearningRateFloor = 0,
    IReadOnlyList<double>? DecayMilestones = null,
    bool SampleWithReplacement = false);

/// <summary>One arm at one seed.</summary>
/// <param name="Seconds">Its training time; for a reused run, the time it took when it trained (what reusing it saved).</param>
/// <param name="Reused">
/// Not trained by this experiment: an identical scratch run (same data content, seed, model, settings, transform, arithmetic and
/// device) was found in a <see cref="IScratchRunCache"/>. In the JSON only when true.
/// </param>
public sealed record SeedRun(
    int Seed,
    double TestAccuracy,
    double TestLoss,
    double BestValAccuracy,
    int BestEpoch,
    IReadOnlyList<EpochMetrics> Curve,
    double[] PerClassAccuracy,
    int[][] Confusion,
    IReadOnlyDictionary<string, string[]> ConfusionCells,
    double Seconds,
    double ImagesPerSecond,
    double LoaderWaitFraction,
    bool StoppedByUser,
    bool EarlyStopped,
    double? HeadFirstValAccuracy = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Reused = false);

/// <summary>An arm: its resolved settings, and test accuracy over seeds (fractions).</summary>
public sealed record ArmResult(string Name, ArmSettings Hyperparameters, Summary TestAccuracy, IReadOnlyList<SeedRun> Runs);

/// <summary>
/// Negative transfer gap over seeds: NTG = test error(transfer) − test error(scratch) = acc(scratch) − acc(transfer),
/// as fractions. Below zero: transfer helped. <see cref="Summary.Ci95"/> is the 95% Student-t interval of the mean.
/// </summary>
public sealed record NtgSummary(double Mean, double Std, double[] Ci95, double[] PerSeed, int N)
{
    /// <summary>Said instead of an interval when there is one seed.</summary>
    public const string NoInterval = "1 seed: no interval";

    /// <summary>
    /// Whether <paramref name="seeds"/> seeds give the gap an interval: one seed has no spread to measure, so its
    /// <see cref="Ci95"/> is zero wide and would read as certainty.
    /// </summary>
    public static bool HasIntervalFor(int seeds) => seeds > 1;

    /// <summary>True when <see cref="Ci95"/> means something (more than one seed); in the JSON too, for scripts.</summary>
    public bool HasInterval => HasIntervalFor(N);

    /// <summary>True when the interval lies entirely below zero.</summary>
    public bool TransferClearlyHelped => HasInterval && Ci95[1] < 0;

    /// <summary>True when the interval lies entirely above zero (negative transfer).</summary>
    public bool ClearlyNegative => HasInterval && Ci95[0] > 0;

    /// <summary>The interval in points, "-3.9 to -1.9", or <see cref="NoInterval"/>; <paramref name="points"/> formats a fraction.</summary>
    public string Range(Func<double, string>? points = null)
    {
        points ??= Points;
        return HasInterval ? $"{points(Ci95[0])} to {points(Ci95[1])}" : NoInterval;
    }

    /// <summary>"95% CI -3.9 to -1.9" (points), or <see cref="NoInterval"/>.</summary>
    public string Interval(Func<double, string>? points = null) => HasInterval ? $"95% CI {Range(points)}" : NoInterval;

    /// <summary>The gap in plain words, e.g. "transfer reduced test error by 23.1 points (95% CI 18.0 to 28.2 points, 3 seeds)".</summary>
    public string Sentence()
    {
        double points = -Mean * 100;
        var noEffect = HasInterval ? "; the interval includes no effect" : "";
        if (Math.Abs(points) < 0.05)
            return $"transfer made no measurable difference to test error{InWords(1)}";
        return points >= 0
            ? $"transfer reduced test error by {points:F1} points{InWords(-1)}" + (TransferClearlyHelped ? "" : noEffect)
            : $"transfer increased test error by {-points:F1} points{InWords(1)} - negative transfer" + (ClearlyNegative ? "" : noEffect);
    }

    // The interval of the quantity the sentence names: NTG itself for an increase (sign 1), -NTG for a reduction (sign -1, ends swap).
    private string InWords(int sign)
    {
        if (!HasInterval)
            return $" ({NoInterval})";
        var (low, high) = sign > 0 ? (Ci95[0], Ci95[1]) : (-Ci95[1], -Ci95[0]);
        return string.Create(CultureInfo.InvariantCulture, $" (95% CI {low * 100:F1} to {high * 100:F1} points, {N} seeds)");
    }

    private static string Points(double fraction) => SignedNumber.Format(fraction * 100, 1);

    internal static NtgSummary From(IReadOnlyList<double> perSeed)
    {
        var s = Summary.Of(perSeed);
        return new NtgSummary(s.Mean, s.Std, s.Ci95, s.PerSeed, s.N);
    }
}

/// <summary>Sizes of the target data as used.</summary>
public sealed record TargetSummary(
    string Dataset,
    IReadOnlyList<string> Classes,
    int? PerClass,
    int TrainSize,
    int ValSize,
    int TestSize,
    int[] TrainClassCounts);

/// <summary>The source checkpoint as used.</summary>
public sealed record SourceSummary(string Path, string? Name, string Architecture, string? Dataset, IReadOnlyList<string> Classes, double? TestAccuracy);

/// <summary>The frozen-feature probe: a linear classifier on the source's pooled features.</summary>
public sealed record ProbeResult(int Stage, int FeatureWidth, double ValAccuracy, double TestAccuracy, double Seconds);

/// <summary>Everything an experiment produced; <paramref name="InputSize"/> is the size both arms used and why.</summary>
public sealed record ExperimentResult(
    string Name,
    TargetSummary Target,
    SourceSummary Source,
    string? Preset,
    string Device,
    double Seconds,
    IReadOnlyList<int> Seeds,
    IReadOnlyList<ArmResult> Arms,
    NtgSummary? Ntg,
    ProbeResult? Probe,
    IReadOnlyList<string> Warnings,
    string? Checkpoint,
    bool Stopped,
    Transfer.Recommendation? Recommendation = null,
    Transfer.AnalysisResult? Analysis = null,
    InputSizeChoice? InputSize = null)
{
    /// <summary>Training time this experiment did not spend: the runs it reused, at what they took when they trained.</summary>
    [JsonIgnore]
    public double SecondsSaved => Arms.SelectMany(a => a.Runs).Where(r => r.Reused).Sum(r => r.Seconds);

    [JsonIgnore]
    public ArmResult TransferArm => Arms.First(a => a.Name == Experiment.TransferArm);

    [JsonIgnore]
    public ArmResult ScratchArm => Arms.First(a => a.Name == Experiment.ScratchArm);
}
