using System.Globalization;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Cli.Study;

/// <summary>A source checkpoint of the study, and the input size every run with it uses (null: the auto rule).</summary>
internal sealed record StudySource(string Id, string Label, string Path, int? InputSize);

/// <summary>A target task: classes of a catalogue dataset with a number of training images per class.</summary>
internal sealed record StudyTask(string Id, string Label, string Dataset, IReadOnlyList<string> Classes, int PerClass)
{
    public int Examples => Classes.Count * PerClass;
}

/// <summary>A (source, target) pair; its role says whether anything was tuned on it.</summary>
internal sealed record StudyPair(StudySource Source, StudyTask Task, string Role)
{
    public const string Calibration = "calibration", HeldOut = "held-out";

    public string Id => $"{Source.Id}/{Task.Id}";
}

/// <summary>One point of the tuning grid both arms share: a multiple of the arm's base learning rate and an update budget.</summary>
internal sealed record GridPoint(double LearningRateScale, int Steps)
{
    public string Label => string.Create(CultureInfo.InvariantCulture, $"lr x{LearningRateScale:g}, {Steps} steps");

    public string Key => string.Create(CultureInfo.InvariantCulture, $"lr{LearningRateScale:g}-s{Steps}");
}

internal enum StudyMode
{
    Quick,
    Full,
}

/// <summary>
/// Which part of a plan to run: the pairs of one source (null: the plan's own sources) on some target datasets (null: all). A scope
/// keeps the plan's tasks and seeds, so its records in raw.json are the whole plan's and a later run of the whole plan resumes from them.
/// </summary>
internal sealed record StudyScope(string? Source = null, IReadOnlyList<string>? Targets = null)
{
    public static StudyScope All { get; } = new();

    public bool Keeps(StudyPair pair) => (Source is null || pair.Source.Id == Source) && (Targets is null || Targets.Contains(pair.Task.Dataset));
}

/// <summary>
/// What `weblab study` runs. Three parts, each answering one question of issue 17:
/// <list type="number">
/// <item>Answers: every answer the recommender can give (the region presets, the linear probe, and "scratch": don't transfer), plus the
/// other presets in the full study, on calibration and held-out pairs. Both arms are tuned on validation with the same grid
/// (learning-rate multiple x budget); the scratch arm uses its own standard recipe, so one scratch run per (pair, seed, grid point)
/// serves every answer (reused by content hash).</item>
/// <item>Measures: many tasks stratified by class count K and images per class n, for each source, at one fixed budget; each measure's
/// rank correlation with the transferred accuracy and with the gain. The full plan also runs the two presets the similarity axis
/// chooses between on every task, so the axis is tested on the decision it makes (which of them wins), not only on the gain.</item>
/// <item>The recommender scored out of sample: its answer against the answer best on validation, on pairs none of its thresholds saw.</item>
/// </list>
/// </summary>
internal sealed record StudyPlan(
    StudyMode Mode,
    int Seeds,
    IReadOnlyList<StudyPair> AnswerPairs,
    IReadOnlyList<string> Answers,
    IReadOnlyList<GridPoint> Grid,
    IReadOnlyList<StudyPair> MeasurePairs,
    int MeasureSteps,
    bool AxisContrast,
    StudyScope Scope)
{
    /// <summary>The `weblab study` command that runs this plan (its results folder aside), for the report to cite.</summary>
    public string Command
    {
        get
        {
            bool full = Mode == StudyMode.Full;
            var args = new List<string> { "weblab study" };
            if (!full)
                args.Add("--quick");
            if (Seeds != DefaultSeeds(full))
                args.Add(string.Create(CultureInfo.InvariantCulture, $"--seeds {Seeds}"));
            if (AxisContrast && !full)
                args.Add("--axis-contrast");
            if (Scope.Source is { } source)
                args.Add($"--source {source}");
            if (Scope.Targets is { } targets)
                args.Add($"--targets {string.Join(",", targets)}");
            return string.Join(" ", args);
        }
    }

    private static int DefaultSeeds(bool full) => full ? 5 : 3;

    /// <summary>
    /// The presets the similarity axis chooses between on a small target (similar at or above <see cref="Plane.SimilarityBoundary"/>).
    /// With <see cref="AxisContrast"/> both run on every measures task at the measures' budget; the quick plan leaves them out unless
    /// asked (`--axis-contrast`), to stay under 30 minutes.
    /// </summary>
    public static IReadOnlyList<string> AxisPresets { get; } = ["small-similar", "small-dissimilar"];

    /// <summary>The answer that means "don't transfer: train from random initialisation".</summary>
    public const string Scratch = Recommender.ScratchAnswer;

    /// <summary>The scratch arm's base learning rate; the grid multiplies it like the transfer arm's.</summary>
    public const double ScratchLearningRate = 0.1;

    /// <summary>BiT-HyperRule is a rule, not a grid: it runs once per seed at its own schedule, and only on targets this small (batch 512 is costly here).</summary>
    public const int BitMaxExamples = 200;

    /// <summary>The catalogue datasets the study's targets come from.</summary>
    public static IReadOnlyList<string> TargetDatasets { get; } = ["mnist-digits", "fashion-mnist", "emoji-nature", "optdigits"];

    /// <summary>Every answer of the recommender: what regret and best-choice rate are computed over.</summary>
    public static IReadOnlyList<string> RecommenderAnswers { get; } =
        ["small-similar", "small-dissimilar", "large-similar", "large-dissimilar", "linear-probe", Scratch];

    /// <param name="axisContrast">Run <see cref="AxisPresets"/> on every measures task (default: the full plan only).</param>
    /// <param name="scope">
    /// The part of the plan to run. A source the plan's measures part leaves out (ImageNet's ResNet-18 in the quick plan) gets the plan's
    /// measures tasks when the scope names it.
    /// </param>
    public static StudyPlan For(StudyMode mode, int? seeds, StudySource demo, StudySource imageNet, bool? axisContrast = null, StudyScope? scope = null)
    {
        scope ??= StudyScope.All;
        bool full = mode == StudyMode.Full;
        var answers = full
            ? RecommenderAnswers.Concat(["head-then-all", "common-practice", "bit-hyperrule"]).ToList()
            : RecommenderAnswers.ToList();
        GridPoint[] grid = full
            ? [new(0.5, 100), new(1, 100), new(2, 100), new(0.5, 300), new(1, 300), new(2, 300)]
            : [new(0.5, 100), new(2, 100), new(1, 200)];
        StudySource[] measureSources = scope.Source is null ? (full ? [demo, imageNet] : [demo]) : [scope.Source == imageNet.Id ? imageNet : demo];
        return new StudyPlan(mode, seeds ?? DefaultSeeds(full), AnswerPairsFor(full, demo, imageNet).Where(scope.Keeps).ToList(), answers, grid,
            MeasurePairsFor(full, measureSources).Where(scope.Keeps).ToList(), MeasureSteps: 100, AxisContrast: axisContrast ?? full, scope);
    }

    /// <summary>
    /// The calibration pairs are the targets the plane's similarity boundary and the recommender's rules were set on (the demo source
    /// on Fashion-MNIST 5-9 and digits 0-4); the held-out pairs use other classes, other writers (optdigits), another domain (colour
    /// emoji) or another source (ImageNet's ResNet-18), none of which any threshold saw. The quick plan keeps one calibration pair and
    /// the two held-out pairs the demo source can run in minutes: ImageNet's ResNet-18 is too slow on 2 cores at a size where it
    /// transfers (at 32 px it scored 18 % on 7-class emoji, chance 14 %), so it is the full plan's.
    /// </summary>
    private static List<StudyPair> AnswerPairsFor(bool full, StudySource demo, StudySource imageNet)
    {
        var fashion20 = TaskOf("fashion-5-9-20", "Fashion-MNIST 5-9", "fashion-mnist", ["5", "6", "7", "8", "9"], 20);
        var digitsLow20 = TaskOf("digits-0-4-20", "MNIST digits 0-4", "mnist-digits", ["0", "1", "2", "3", "4"], 20);
        var digitsHigh20 = TaskOf("digits-5-9-20", "MNIST digits 5-9", "mnist-digits", ["5", "6", "7", "8", "9"], 20);
        var optdigits20 = TaskOf("optdigits-20", "optdigits 0-9", "optdigits", Classes(10), 20);
        var emoji20 = TaskOf("emoji-20", "emoji-nature (7 colour classes)", "emoji-nature", Classes(7), 20);
        if (!full)
            return [new(demo, fashion20, StudyPair.Calibration), new(demo, digitsHigh20, StudyPair.HeldOut), new(demo, optdigits20, StudyPair.HeldOut)];
        return
        [
            new(demo, fashion20, StudyPair.Calibration),
            new(demo, digitsLow20, StudyPair.Calibration),
            new(demo, fashion20 with { Id = "fashion-5-9-100", Label = "Fashion-MNIST 5-9, 100/class", PerClass = 100 }, StudyPair.Calibration),
            new(demo, digitsLow20 with { Id = "digits-0-4-100", Label = "MNIST digits 0-4, 100/class", PerClass = 100 }, StudyPair.Calibration),
            new(demo, digitsHigh20, StudyPair.HeldOut),
            new(demo, digitsHigh20 with { Id = "digits-5-9-100", Label = "MNIST digits 5-9, 100/class", PerClass = 100 }, StudyPair.HeldOut),
            new(demo, optdigits20, StudyPair.HeldOut),
            new(demo, emoji20, StudyPair.HeldOut),
            new(imageNet, emoji20, StudyPair.HeldOut),
            new(imageNet, fashion20, StudyPair.HeldOut),
            new(imageNet, digitsLow20, StudyPair.HeldOut),
        ];
    }

    private static StudyTask TaskOf(string id, string label, string dataset, string[] classes, int perClass) =>
        new(id, $"{label}, {perClass}/class", dataset, classes, perClass);

    /// <summary>
    /// Tasks stratified by class count K and images per class n on every target: each (target, K, n) cell draws its classes at random
    /// (a fixed generator). Fashion-MNIST tasks draw from classes 5-9 only, the classes the demo source never saw. The full study
    /// draws two tasks per cell and keeps the distinct ones (63 per source: a cell with every class of its target has one task); the
    /// quick one draws one (35).
    /// </summary>
    private static List<StudyPair> MeasurePairsFor(bool full, IReadOnlyList<StudySource> sources)
    {
        var random = new Random(2026);
        var cells = new List<(string Dataset, string Name, int[] Pool, int K, int N)>();
        foreach (var k in new[] { 2, 3, 5, 8 })
            foreach (var n in new[] { 10, 20, 40 })
                cells.Add(("mnist-digits", "digits", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], k, n));
        foreach (var k in new[] { 2, 3, 5 })
            foreach (var n in new[] { 10, 20, 40 })
                cells.Add(("fashion-mnist", "fashion", [5, 6, 7, 8, 9], k, n));
        foreach (var k in new[] { 2, 3, 5, 7 })
            foreach (var n in new[] { 10, 20 })
                cells.Add(("emoji-nature", "emoji", [0, 1, 2, 3, 4, 5, 6], k, n));
        foreach (var k in new[] { 2, 5, 10 })
            foreach (var n in new[] { 10, 20 })
                cells.Add(("optdigits", "optdigits", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], k, n));
        var tasks = new List<StudyTask>();
        foreach (var (dataset, name, pool, k, n) in cells)
        {
            var drawn = new List<string[]>();
            for (int draw = 0; draw < (full ? 2 : 1); draw++)
            {
                var classes = pool.OrderBy(_ => random.Next()).Take(k).Order().Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
                // The same classes at the same n are the same task (the images are drawn from them alone): counting it twice would
                // double one observation in every correlation. The draw is still made, so later cells keep their classes.
                if (drawn.Any(d => d.SequenceEqual(classes)))
                    continue;
                drawn.Add(classes);
                tasks.Add(new StudyTask($"{name}-k{k}-n{n}-{draw}", $"{name} {{{string.Join(",", classes)}}}, {n}/class", dataset, classes, n));
            }
        }
        return sources.SelectMany(s => tasks.Select(t => new StudyPair(s, t, StudyPair.HeldOut))).ToList();
    }

    private static string[] Classes(int count) => Enumerable.Range(0, count).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>
    /// What the plan trains, per source and input size: seed-runs and images through the network in training (updates x batch), the
    /// transfer arms and the distinct scratch arms apart (a scratch arm shared by answers trains once). What `--dry-run` prints.
    /// </summary>
    public IReadOnlyList<(string Source, int Experiments, long TransferRuns, long TransferImages, long ScratchRuns, long ScratchImages)> Workload()
    {
        const int batch = 32, bitBatch = 512, bitSteps = 500;
        var rows = new Dictionary<string, (int E, long TR, long TI, long SR, long SI)>();
        void Add(StudySource source, int experiments, long transferRuns, long transferImages, long scratchRuns, long scratchImages)
        {
            var key = source.InputSize is { } px ? $"{source.Label} at {px} px" : source.Label;
            var r = rows.GetValueOrDefault(key);
            rows[key] = (r.E + experiments, r.TR + transferRuns, r.TI + transferImages, r.SR + scratchRuns, r.SI + scratchImages);
        }
        foreach (var pair in AnswerPairs)
        {
            foreach (var answer in Answers.Where(a => a != Scratch))
            {
                if (answer == "bit-hyperrule")
                {
                    if (pair.Task.Examples <= BitMaxExamples)
                        Add(pair.Source, 1, Seeds, (long)Seeds * bitSteps * bitBatch, 0, 0);
                    continue;
                }
                Add(pair.Source, Grid.Count, (long)Seeds * Grid.Count, Seeds * Grid.Sum(g => (long)g.Steps * batch), 0, 0);
            }
            Add(pair.Source, 0, 0, 0, (long)Seeds * Grid.Count, Seeds * Grid.Sum(g => (long)g.Steps * batch));
        }
        foreach (var pair in MeasurePairs)
        {
            Add(pair.Source, 1, Seeds, (long)Seeds * MeasureSteps * batch, Seeds, (long)Seeds * MeasureSteps * batch);
            if (AxisContrast) // each preset's scratch arm is the measures' own (reused)
                Add(pair.Source, AxisPresets.Count, AxisPresets.Count * (long)Seeds, AxisPresets.Count * (long)Seeds * MeasureSteps * batch, 0, 0);
        }
        return rows.Select(kv => (kv.Key, kv.Value.E, kv.Value.TR, kv.Value.TI, kv.Value.SR, kv.Value.SI)).ToList();
    }

    /// <summary>The experiment of one answer at one grid point: the transfer arm by the answer, the scratch arm by its standard recipe.</summary>
    public ExperimentSpec AnswerSpec(StudyPair pair, string answer, GridPoint point)
    {
        if (answer == Scratch)
            throw new ArgumentException("the scratch answer is every answer's scratch arm; it has no experiment of its own", nameof(answer));
        var spec = BaseSpec(pair) with { Scratch = ScratchAt(point) };
        var preset = Presets.Get(answer);
        var baseRate = preset.DialsFor(pair.Task.Examples).HeadLearningRate;
        var overrides = new Dictionary<string, string>
        {
            ["headLearningRate"] = (baseRate * point.LearningRateScale).ToString("R", CultureInfo.InvariantCulture),
            ["steps"] = point.Steps.ToString(CultureInfo.InvariantCulture),
        };
        return spec with { Preset = preset.Id, Overrides = WithInputSize(overrides, pair) };
    }

    /// <summary>BiT-HyperRule at its own rule; its scratch arm is the grid's longest point (a cache hit once the grid has run).</summary>
    public ExperimentSpec BitSpec(StudyPair pair) => BaseSpec(pair) with
    {
        Preset = "bit-hyperrule",
        Scratch = ScratchAt(Grid.MaxBy(g => (g.Steps, -Math.Abs(g.LearningRateScale - 1)))!),
        Overrides = WithInputSize(new Dictionary<string, string>(), pair),
    };

    /// <summary>The measures part's fixed recipe: WebLab's default fine-tuning dials for <see cref="MeasureSteps"/> updates, scratch likewise.</summary>
    public ExperimentSpec MeasureSpec(StudyPair pair) => BaseSpec(pair) with
    {
        Transfer = new TransferDials(Steps: MeasureSteps, InputSize: pair.Source.InputSize),
        Scratch = new ScratchDials(ScratchLearningRate, Steps: MeasureSteps, Recipe: ScratchRecipe.Standard),
    };

    /// <summary>One of <see cref="AxisPresets"/> at the measures' budget; its scratch arm is the measures' (a cache hit).</summary>
    public ExperimentSpec ContrastSpec(StudyPair pair, string preset) => MeasureSpec(pair) with
    {
        Transfer = null,
        Preset = preset,
        Overrides = WithInputSize(new Dictionary<string, string> { ["steps"] = MeasureSteps.ToString(CultureInfo.InvariantCulture) }, pair),
    };

    public AnalysisSpec AnalysisSpec(StudyPair pair, string device) =>
        new(pair.Task.Dataset, pair.Source.Path, pair.Task.Classes, pair.Task.PerClass, Device: device, InputSize: pair.Source.InputSize);

    private ExperimentSpec BaseSpec(StudyPair pair) =>
        new(pair.Task.Dataset, pair.Source.Path, pair.Task.Classes, pair.Task.PerClass, Seeds: Seeds, Probe: false,
            Name: $"{pair.Source.Label} -> {pair.Task.Label}");

    private static ScratchDials ScratchAt(GridPoint point) =>
        new(ScratchLearningRate * point.LearningRateScale, Steps: point.Steps, Recipe: ScratchRecipe.Standard);

    private static Dictionary<string, string> WithInputSize(Dictionary<string, string> overrides, StudyPair pair)
    {
        if (pair.Source.InputSize is { } size)
            overrides["inputSize"] = size.ToString(CultureInfo.InvariantCulture);
        return overrides;
    }
}
