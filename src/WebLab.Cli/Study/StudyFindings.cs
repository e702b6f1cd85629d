using System.Globalization;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Cli.Study;

/// <summary>
/// Turns raw.json's per-seed records into the study's findings (<see cref="StudySummary"/>): tuned answers, NTG two ways, paired
/// comparisons, the recommender's regret, the measures' correlations, and verdicts from tests with stated thresholds.
/// Accuracies become points here (x100); raw.json keeps fractions.
/// </summary>
internal static class StudyFindings
{
    /// <summary>Two-sided significance level of every verdict's test.</summary>
    public const double Alpha = 0.05;

    /// <summary>The recommender's held-out regret must be below this many points (bootstrap interval entirely below) for "holds".</summary>
    public const double RegretThreshold = 1.0;

    private static readonly CultureInfo s_ci = CultureInfo.InvariantCulture;

    /// <summary>Measures correlated with the outcomes: id, and how to read it from an analysis (plus the plane's similarity and K itself).</summary>
    public static IReadOnlyList<(string Id, Func<AnalysisResult, double?> Value)> MeasureReaders { get; } =
    [
        ("leep", a => a.Get("leep")),
        ("nce", a => a.Get("nce")),
        ("hscore", a => a.Get("hscore")),
        ("hscore-shrinkage", a => a.Get("hscore-shrinkage")),
        ("logme", a => a.Get("logme")),
        ("knn", a => a.Get("knn")),
        ("probe", a => a.Get("probe")),
        ("probe-best-stage", a => a.Stages.Count > 0 ? a.Stages.Max(s => s.ProbeAccuracy) : null),
        ("probe-gap", a => a.Get("probe-gap")),
        ("pilot-gain", a => a.Get("pilot-gain")),
        ("plane-similarity", a => Recommender.Similarity(a)),
        ("classes", a => a.Size.Classes),
    ];

    public static StudySummary Summarise(StudyData data, string machine, IReadOnlyList<StudyPlot> plots)
    {
        var tasks = data.Plan.AnswerPairs.Select(p => Task(data, p)).OfType<TaskFindings>().ToList();
        var measures = Measures(data);
        var recommender = RecommenderScore(tasks);
        var scratch = data.ScratchSeeds.ToList();
        var reuse = new ReuseSummary(scratch.Count, scratch.Count(s => s.Reused), scratch.Where(s => s.Reused).Sum(s => s.Seconds));
        var axis = AxisChoices(data);
        var verdicts = Verdicts(tasks, measures, recommender, axis).ToList();
        return new StudySummary(StudySummary.CurrentVersion, DateTimeOffset.Now, machine, data.Plan.Mode.ToString().ToLowerInvariant(), data.Plan.Seeds,
            data.ComputeSeconds, data.LastRun?.WallSeconds, verdicts, plots, tasks.Select(t => t.Summary).ToList(), measures, recommender, reuse,
            axis.Count > 0 ? axis : null);
    }

    /// <summary>A pair's findings plus the per-seed test accuracies (points) of each answer at its chosen point, for paired statistics.</summary>
    internal sealed record TaskFindings(StudyTaskSummary Summary, StudyPair Pair, IReadOnlyDictionary<string, double[]> TestBySeed, double[] Regret);

    /// <summary>One answer's grid: per point, per-seed scores of the arm that answer trains.</summary>
    private sealed record Tuned(string Answer, string Chosen, int Steps, IReadOnlyList<SeedScore> Scores)
    {
        public double MeanVal => Scores.Average(s => s.Val);
    }

    private static TaskFindings? Task(StudyData data, StudyPair pair)
    {
        if (data.Analysis(pair) is not { } analysis)
            return null;
        var plan = data.Plan;
        // The scratch arm is the same run for every answer (standard recipe, same data, seeds and grid point): read it from the first that ran.
        var scratchGrid = plan.Grid.Select(g => (Point: g, Run: plan.Answers.Where(a => a != StudyPlan.Scratch)
                .Select(a => data.Answer(pair, a, g)).FirstOrDefault(r => r is { Scratch.Count: > 0 })))
            .Where(x => x.Run is not null).Select(x => new Tuned(StudyPlan.Scratch, x.Point.Label, x.Point.Steps, x.Run!.Scratch)).ToList();
        if (scratchGrid.Count == 0)
            return null;
        var scratch = scratchGrid.MaxBy(t => t.MeanVal)!;
        var tuned = new List<Tuned> { scratch };
        foreach (var answer in plan.Answers.Where(a => a != StudyPlan.Scratch))
        {
            if (answer == "bit-hyperrule")
            {
                if (data.Bit(pair) is { } bit)
                    tuned.Add(new Tuned(answer, "its own rule", 0, bit.Transfer));
                continue;
            }
            var grid = plan.Grid.Select(g => (Point: g, Run: data.Answer(pair, answer, g))).Where(x => x.Run is not null)
                .Select(x => new Tuned(answer, x.Point.Label, x.Point.Steps, x.Run!.Transfer)).ToList();
            if (grid.Count == plan.Grid.Count)
                tuned.Add(grid.MaxBy(t => t.MeanVal)!);
        }
        var recommendation = Recommender.Recommend(analysis);
        var best = tuned.MaxBy(t => t.MeanVal)!;
        var bestOfRecommender = tuned.Where(t => StudyPlan.RecommenderAnswers.Contains(t.Answer)).MaxBy(t => t.MeanVal)!;
        var test = tuned.ToDictionary(t => t.Answer, t => Points(t.Scores));
        var rows = tuned.Select(t => new AnswerRow(t.Answer, t.Chosen, 100 * t.MeanVal, Estimate(Summary.Of(test[t.Answer])),
            t.Answer == StudyPlan.Scratch ? null : MatchedNtg(t, scratchGrid),
            t.Answer == StudyPlan.Scratch ? null : Estimate(Summary.Paired(Points(scratch.Scores), test[t.Answer])),
            Estimate(Summary.Paired(test[t.Answer], test[best.Answer])))).OrderByDescending(r => r.ValidationAccuracy).ToList();
        double[] regret = test.TryGetValue(recommendation.Answer, out var chosen)
            ? test[bestOfRecommender.Answer].Zip(chosen, (b, c) => b - c).ToArray()
            : [];
        var summary = new StudyTaskSummary(pair.Id, pair.Task.Label, pair.Source.Label, pair.Role, recommendation.Answer, best.Answer,
            recommendation.Size, recommendation.Similarity, rows, regret.Length > 0 ? Estimate(Summary.Of(regret)) : null);
        return new TaskFindings(summary, pair, test, regret);
    }

    /// <summary>
    /// NTG at matched updates: the transfer arm at its chosen point against the scratch arm tuned at the same budget (scratch minus
    /// transfer accuracy per seed = err(transfer) − err(scratch)).
    /// </summary>
    private static Estimate? MatchedNtg(Tuned transfer, IReadOnlyList<Tuned> scratchGrid)
    {
        var sameBudget = scratchGrid.Where(s => s.Steps == transfer.Steps).ToList();
        if (sameBudget.Count == 0)
            return null;
        var scratch = sameBudget.MaxBy(s => s.MeanVal)!;
        return Estimate(Summary.Paired(Points(scratch.Scores), Points(transfer.Scores)));
    }

    private static double[] Points(IReadOnlyList<SeedScore> scores) => scores.OrderBy(s => s.Seed).Select(s => 100 * s.Test).ToArray();

    private static Estimate Estimate(Summary s) => new(s.Mean, s.Ci95[0], s.Ci95[1]);

    private static RecommenderSummary? RecommenderScore(IReadOnlyList<TaskFindings> tasks)
    {
        var heldOut = tasks.Where(t => t.Pair.Role == StudyPair.HeldOut && t.Regret.Length > 0).ToList();
        if (heldOut.Count == 0)
            return null;
        int best = heldOut.Count(t => t.Summary.Recommended == t.Summary.Rows.Where(r => StudyPlan.RecommenderAnswers.Contains(r.Answer))
            .MaxBy(r => r.ValidationAccuracy)!.Answer);
        var calibration = tasks.Where(t => t.Pair.Role == StudyPair.Calibration && t.Regret.Length > 0).ToList();
        return new RecommenderSummary(heldOut.Count, Regret(heldOut), (double)best / heldOut.Count, Proportions.Wilson95(best, heldOut.Count),
            calibration.Count > 0 ? Regret(calibration) : null, Recommender.Thresholds);
    }

    /// <summary>Mean regret over (pair, seed) with a cluster bootstrap: pairs are resampled, each with all its seeds.</summary>
    private static Estimate Regret(IReadOnlyList<TaskFindings> tasks)
    {
        static double Mean(IReadOnlyList<TaskFindings> sample) => sample.SelectMany(t => t.Regret).Average();
        var ci = Bootstrap.Ci95(tasks, Mean);
        return new Estimate(Mean(tasks), ci[0], ci[1]);
    }

    private static List<MeasureCorrelation> Measures(StudyData data)
    {
        var correlations = new List<MeasureCorrelation>();
        foreach (var group in data.Plan.MeasurePairs.GroupBy(p => p.Source.Id))
        {
            var rows = group.Select(p => (Pair: p, Analysis: data.Analysis(p), Run: data.Measure(p), Edge: SimilarEdge(data, p)))
                .Where(r => r.Analysis is not null && r.Run is { Scratch.Count: > 0 }).ToList();
            var outcomes = new (string Outcome, double?[] Values)[]
            {
                (MeasureCorrelation.Accuracy, rows.Select(r => (double?)(100 * r.Run!.Transfer.Average(s => s.Test))).ToArray()),
                (MeasureCorrelation.Gain, rows.Select(r => (double?)(100 * (r.Run!.Transfer.Average(s => s.Test) - r.Run.Scratch.Average(s => s.Test)))).ToArray()),
                (MeasureCorrelation.SimilarEdge, rows.Select(r => r.Edge).ToArray()),
            };
            foreach (var (outcome, outcomeValues) in outcomes)
            {
                var kept = Enumerable.Range(0, rows.Count).Where(i => outcomeValues[i] is not null).ToArray();
                if (kept.Length < 5)
                    continue;
                var y = kept.Select(i => outcomeValues[i]!.Value).ToArray();
                var classes = kept.Select(i => (double)rows[i].Pair.Task.Classes.Count).ToArray();
                foreach (var (id, read) in MeasureReaders)
                {
                    var values = kept.Select(i => read(rows[i].Analysis!)).ToArray();
                    if (values.Any(v => v is null || double.IsNaN(v.Value)))
                        continue;
                    var x = values.Select(v => v!.Value).ToArray();
                    correlations.Add(new MeasureCorrelation(group.First().Source.Label, id, outcome, kept.Length,
                        Correlation(RankStatistics.Test(x, y, RankStatistics.KendallTauB)),
                        Correlation(RankStatistics.Test(x, y, RankStatistics.Spearman)),
                        id == "classes" ? new Correlation(double.NaN, double.NaN, double.NaN, double.NaN) : Correlation(RankStatistics.TestPartial(x, y, classes))));
                }
            }
        }
        return correlations;
    }

    /// <summary>small-similar's mean test accuracy minus small-dissimilar's on a measures task (points); null until both have run.</summary>
    private static double? SimilarEdge(StudyData data, StudyPair pair) =>
        StudyPlan.AxisPresets.Select(p => data.Contrast(pair, p)).ToArray() is [{ } similar, { } dissimilar]
            ? 100 * (similar.Transfer.Average(s => s.Test) - dissimilar.Transfer.Average(s => s.Test))
            : null;

    /// <summary>The similarity axis's choice between the two presets on each measures task, against the better of them on test.</summary>
    private static List<AxisChoice> AxisChoices(StudyData data)
    {
        var choices = new List<AxisChoice>();
        foreach (var group in data.Plan.MeasurePairs.GroupBy(p => p.Source.Id))
        {
            var rows = group.Select(p => (Analysis: data.Analysis(p), Edge: SimilarEdge(data, p)))
                .Where(r => r.Analysis is not null && r.Edge is not null)
                .Select(r => (Similarity: Recommender.Similarity(r.Analysis!), Edge: r.Edge!.Value))
                .Select(r => (r.Similarity, Similar: r.Similarity >= Plane.SimilarityBoundary, r.Edge)).ToList();
            if (rows.Count == 0)
                continue;
            // Loss of a choice: how far below the better preset it scored (the edge is similar minus dissimilar).
            double Loss(bool similar, double edge) => similar ? Math.Max(0, -edge) : Math.Max(0, edge);
            int right = rows.Count(r => Loss(r.Similar, r.Edge) == 0);
            choices.Add(new AxisChoice(group.First().Source.Label, rows.Count, right, Proportions.Wilson95(right, rows.Count),
                rows.Average(r => Loss(r.Similar, r.Edge)), rows.Average(r => Loss(true, r.Edge)), rows.Average(r => Loss(false, r.Edge)),
                rows.Count(r => r.Similar) / (double)rows.Count, rows.Count(r => r.Edge < 0), rows.Count(r => r.Similarity >= 1) / (double)rows.Count));
        }
        return choices;
    }

    private static Correlation Correlation(TestedEstimate t) => new(t.Estimate, t.PValue, t.Ci95[0], t.Ci95[1]);

    private static IEnumerable<StudyVerdict> Verdicts(IReadOnlyList<TaskFindings> tasks, IReadOnlyList<MeasureCorrelation> measures, RecommenderSummary? recommender,
        IReadOnlyList<AxisChoice> axis)
    {
        const string tTest = "95 % Student-t interval of the per-seed NTG (tuned arms): holds if entirely below 0, fails if entirely above";
        foreach (var task in tasks)
        {
            var answer = task.Summary.Recommended;
            var row = task.Summary.Rows.FirstOrDefault(r => r.Answer == answer);
            if (answer == StudyPlan.Scratch)
            {
                var bestTransfer = task.Summary.Rows.Where(r => r.NtgTuned is not null).MaxBy(r => r.ValidationAccuracy);
                if (bestTransfer?.NtgTuned is { } n)
                    yield return new StudyVerdict($"Not transferring is right on {task.Summary.Source} -> {task.Summary.Label} (the recommender said so)",
                        "the validation-best transfer answer's tuned NTG: holds if its 95 % interval is entirely above 0, fails if entirely below",
                        n.AboveZero ? VerdictOutcome.Holds : n.BelowZero ? VerdictOutcome.Fails : VerdictOutcome.Undecided,
                        $"{bestTransfer.Answer}: NTG {Points(n)}");
                continue;
            }
            if (row?.NtgTuned is { } ntg)
                yield return new StudyVerdict($"The recommended {answer} beats a tuned scratch baseline on {task.Summary.Source} -> {task.Summary.Label}",
                    tTest, ntg.BelowZero ? VerdictOutcome.Holds : ntg.AboveZero ? VerdictOutcome.Fails : VerdictOutcome.Undecided,
                    $"tuned NTG {Points(ntg)}; at matched updates {(row.NtgMatched is { } m ? Points(m) : "n/a")}");
        }
        if (recommender is not null)
        {
            yield return new StudyVerdict(
                string.Create(s_ci, $"The recommender's regret on held-out pairs is under {RegretThreshold:g} point"),
                "95 % cluster-bootstrap interval (pairs resampled) of the mean regret against the validation-best answer, reported on test: " +
                "holds if entirely below the threshold, fails if entirely above",
                recommender.Regret.High < RegretThreshold ? VerdictOutcome.Holds : recommender.Regret.Low > RegretThreshold ? VerdictOutcome.Fails
                    : VerdictOutcome.Undecided,
                $"regret {Points(recommender.Regret)} over {recommender.HeldOutPairs} held-out pairs");
            double chance = 1.0 / StudyPlan.RecommenderAnswers.Count;
            yield return new StudyVerdict(
                string.Create(s_ci, $"The recommender picks the validation-best answer more often than a random pick ({chance:P0})"),
                "Wilson 95 % interval of the best-choice rate: holds if entirely above chance, fails if entirely below",
                recommender.BestChoiceCi[0] > chance ? VerdictOutcome.Holds : recommender.BestChoiceCi[1] < chance ? VerdictOutcome.Fails
                    : VerdictOutcome.Undecided,
                string.Create(s_ci, $"{recommender.BestChoiceRate:P0} ({recommender.BestChoiceCi[0]:P0} to {recommender.BestChoiceCi[1]:P0}) of {recommender.HeldOutPairs} pairs"));
        }
        string pTest = string.Create(s_ci, $"Kendall τ-b with a two-sided permutation p (10,000 permutations): holds if p < {Alpha:g} and τ > 0, fails if p < {Alpha:g} and τ < 0");
        foreach (var m in measures.Where(m => m.Outcome == MeasureCorrelation.SimilarEdge && m.Measure != "classes"))
            yield return new StudyVerdict($"{m.Measure} ranks {m.Source}'s tasks by how much small-similar beats small-dissimilar (the similarity axis's decision)",
                pTest, Outcome(m.Kendall), Describe(m));
        foreach (var a in axis)
            yield return new StudyVerdict(
                $"The similarity axis picks the better of small-similar and small-dissimilar on {a.Source}'s tasks more often than a coin",
                "Wilson 95 % interval of the share of tasks where the axis's side scored at least as well on test: holds if entirely above 50 %, " +
                "fails if entirely below",
                a.RightCi[0] > 0.5 ? VerdictOutcome.Holds : a.RightCi[1] < 0.5 ? VerdictOutcome.Fails : VerdictOutcome.Undecided,
                string.Create(s_ci, $"{a.Right} of {a.Tasks} ({(double)a.Right / a.Tasks:P0}, {a.RightCi[0]:P0} to {a.RightCi[1]:P0}); mean loss " +
                    $"{a.AxisLoss:F1} points against always small-similar {a.AlwaysSimilarLoss:F1}, always small-dissimilar {a.AlwaysDissimilarLoss:F1}"));
        foreach (var m in measures.Where(m => m.Outcome == MeasureCorrelation.Gain && m.Measure != "classes"))
        {
            yield return new StudyVerdict($"{m.Measure} ranks {m.Source}'s tasks by transfer gain", pTest, Outcome(m.Kendall), Describe(m));
            if (!double.IsNaN(m.PartialK.Value))
                yield return new StudyVerdict($"{m.Measure} ranks {m.Source}'s tasks by gain beyond what the class count K explains",
                    string.Create(s_ci, $"partial Spearman ρ given K with a permutation p: holds if p < {Alpha:g} and ρ > 0, fails if p < {Alpha:g} and ρ < 0"),
                    Outcome(m.PartialK), string.Create(s_ci, $"partial ρ {Interval(m.PartialK)}, p = {m.PartialK.PValue:0.000}"));
        }
    }

    private static VerdictOutcome Outcome(Correlation c) =>
        c.PValue < Alpha ? (c.Value > 0 ? VerdictOutcome.Holds : VerdictOutcome.Fails) : VerdictOutcome.Undecided;

    internal static string Describe(MeasureCorrelation m) => string.Create(s_ci,
        $"τ {Interval(m.Kendall)}, p = {m.Kendall.PValue:0.000}; ρ {Interval(m.Spearman)}, p = {m.Spearman.PValue:0.000}; n = {m.N}");

    /// <summary>A correlation with its bootstrap interval: "+0.42 [+0.10, +0.71]".</summary>
    internal static string Interval(Correlation c) => SignedNumber.Interval(c.Value, c.Low, c.High, 2);

    internal static string Points(Estimate e) =>
        $"{SignedNumber.Format(e.Value, 1)} points [{SignedNumber.Format(e.Low, 1)}, {SignedNumber.Format(e.High, 1)}]";
}
