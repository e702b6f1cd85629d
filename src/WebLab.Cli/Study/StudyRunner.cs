using System.Diagnostics;
using System.Text.Json;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Cli.Study;

/// <summary>One seed of one arm as raw.json keeps it: accuracies as fractions (0..1), its own seconds, whether it was reused.</summary>
internal sealed record SeedScore(int Seed, double Test, double Val, double Seconds, bool Reused = false);

/// <summary>One experiment of the study: both arms, per seed (raw.json's unit; every summary is computed from these).</summary>
internal sealed record StudyRun(string Preset, IReadOnlyList<SeedScore> Transfer, IReadOnlyList<SeedScore> Scratch, double Seconds)
{
    public static StudyRun From(ExperimentResult r) => new(r.Preset ?? "custom", Scores(r.TransferArm), r.Arms.Count > 1 ? Scores(r.ScratchArm) : [],
        r.Seconds);

    private static SeedScore[] Scores(ArmResult arm) =>
        arm.Runs.Select(s => new SeedScore(s.Seed, s.TestAccuracy, s.BestValAccuracy, s.Seconds, s.Reused)).ToArray();
}

/// <summary>
/// How the last `weblab study` invocation went: wall time, steps it ran and steps it took from raw.json, and how busy the
/// machine was at its start and end (1/5/15-minute load averages). Kept in raw.json under "lastRun".
/// </summary>
internal sealed record StudyRunRecord(DateTimeOffset Finished, double WallSeconds, int StepsRun, int StepsCached, string LoadAtStart, string LoadAtEnd);

/// <summary>What the study measured, by raw.json key: analyses and experiments of every pair.</summary>
internal sealed class StudyData(StudyPlan plan, IReadOnlyDictionary<string, JsonElement> raw, StudyRunRecord? lastRun)
{
    public StudyPlan Plan => plan;

    public StudyRunRecord? LastRun => lastRun;

    public AnalysisResult? Analysis(StudyPair pair) => Get<AnalysisResult>(StudyKeys.Analysis(pair));

    public StudyRun? Answer(StudyPair pair, string answer, GridPoint point) => Get<StudyRun>(StudyKeys.Answer(pair, answer, point));

    public StudyRun? Bit(StudyPair pair) => Get<StudyRun>(StudyKeys.Bit(pair));

    public StudyRun? Measure(StudyPair pair) => Get<StudyRun>(StudyKeys.Measure(pair));

    public StudyRun? Contrast(StudyPair pair, string preset) => Get<StudyRun>(StudyKeys.Contrast(pair, preset));

    /// <summary>Sum of every planned step's own seconds: the study's compute, counting a resumed study's steps once.</summary>
    public double ComputeSeconds => Planned.Sum(kv => kv.Value.ValueKind == JsonValueKind.Object && kv.Value.TryGetProperty("seconds", out var t)
        && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : 0);

    /// <summary>Every planned experiment's scratch seeds: how many there were and how many were reused.</summary>
    public IEnumerable<SeedScore> ScratchSeeds => Planned.Where(kv => StudyKeys.IsExperiment(kv.Key))
        .SelectMany(kv => kv.Value.Deserialize<StudyRun>(WebLabJson.Options)!.Scratch);

    private readonly HashSet<string> _pairs = plan.MeasurePairs.Concat(plan.AnswerPairs).Select(p => p.Id).ToHashSet();

    /// <summary>raw.json's records of this plan's pairs: a record of a task the plan no longer has does not count.</summary>
    private IEnumerable<KeyValuePair<string, JsonElement>> Planned => raw.Where(kv => StudyKeys.PairId(kv.Key) is { } pair && _pairs.Contains(pair));

    private T? Get<T>(string key) where T : class =>
        raw.TryGetValue(key, out var element) ? element.Deserialize<T>(WebLabJson.Options) : null;
}

/// <summary>
/// Runs the study's steps, caching each finished one in raw.json (written atomically after every step) so an interrupted study
/// resumes where it stopped. Scratch arms shared between answers come from the content-hash cache of <paramref name="scratchRuns"/>.
/// </summary>
internal sealed class StudyRunner(StudyPlan plan, string folder, string device, bool fresh, bool reportOnly, IScratchRunCache? scratchRuns)
{
    public const string RawFile = "raw.json";
    private const string LastRunKey = "lastRun";
    private const string PlanKey = "plan";
    private readonly string _cachePath = Path.Combine(folder, RawFile);
    private Dictionary<string, JsonElement> _cache = new();
    private int _stepsRun, _stepsCached, _stepsTotal, _step;

    public StudyData Run(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var loadAtStart = Bench.Machine.LoadAverage;
        Load();
        var steps = Steps().ToList();
        _stepsTotal = steps.Count;
        foreach (var step in steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            step(cancellationToken);
        }
        if (!reportOnly && _stepsRun > 0)
        {
            _cache[LastRunKey] = JsonSerializer.SerializeToElement(new StudyRunRecord(DateTimeOffset.Now, clock.Elapsed.TotalSeconds, _stepsRun,
                _stepsCached, loadAtStart, Bench.Machine.LoadAverage), WebLabJson.Options);
            Save();
        }
        var lastRun = _cache.TryGetValue(LastRunKey, out var record) ? record.Deserialize<StudyRunRecord>(WebLabJson.Options) : null;
        return new StudyData(plan, _cache, lastRun);
    }

    /// <summary>
    /// Every step in order: the measures' tasks (cheap, and each one informs every measure's verdict), then the demo source's answer
    /// pairs, then the answer pairs of the costlier sources.
    /// </summary>
    private IEnumerable<Action<CancellationToken>> Steps() =>
        MeasureSteps()
            .Concat(AnswerSteps(plan.AnswerPairs.Where(p => p.Source.InputSize is null)))
            .Concat(AnswerSteps(plan.AnswerPairs.Where(p => p.Source.InputSize is not null)));

    private IEnumerable<Action<CancellationToken>> AnswerSteps(IEnumerable<StudyPair> pairs)
    {
        foreach (var pair in pairs)
        {
            yield return ct => Cached(StudyKeys.Analysis(pair), () => Analysis.Run(plan.AnalysisSpec(pair, device), cancellationToken: ct));
            foreach (var answer in plan.Answers.Where(a => a != StudyPlan.Scratch))
            {
                if (answer == "bit-hyperrule")
                {
                    if (pair.Task.Examples <= StudyPlan.BitMaxExamples)
                        yield return ct => Experiment(StudyKeys.Bit(pair), plan.BitSpec(pair), ct);
                    continue;
                }
                foreach (var point in plan.Grid)
                    yield return ct => Experiment(StudyKeys.Answer(pair, answer, point), plan.AnswerSpec(pair, answer, point), ct);
            }
        }
    }

    private IEnumerable<Action<CancellationToken>> MeasureSteps()
    {
        foreach (var pair in plan.MeasurePairs)
        {
            yield return ct => Cached(StudyKeys.Analysis(pair), () => Analysis.Run(plan.AnalysisSpec(pair, device), cancellationToken: ct));
            yield return ct => Experiment(StudyKeys.Measure(pair), plan.MeasureSpec(pair), ct);
            if (plan.AxisContrast)
                foreach (var preset in StudyPlan.AxisPresets)
                    yield return ct => Experiment(StudyKeys.Contrast(pair, preset), plan.ContrastSpec(pair, preset), ct);
        }
    }

    private void Experiment(string key, ExperimentSpec spec, CancellationToken cancellationToken) => Cached(key, () =>
    {
        var result = Training.Experiment.Run(spec with { Device = device }, new ExperimentView("  "), scratchRuns: scratchRuns,
            cancellationToken: cancellationToken);
        var run = StudyRun.From(result);
        Console.Error.WriteLine($"  -> transfer {100 * run.Transfer.Average(s => s.Test):F1} %, scratch {100 * run.Scratch.Average(s => s.Test):F1} % " +
                                $"({run.Scratch.Count(s => s.Reused)} of {run.Scratch.Count} scratch seeds reused), {run.Seconds:F0} s");
        return run;
    });

    private void Cached<T>(string key, Func<T> compute) where T : class
    {
        _step++;
        if (_cache.ContainsKey(key))
        {
            _stepsCached++;
            return;
        }
        if (reportOnly)
            return;
        Console.Error.WriteLine($"study [{_step}/{_stepsTotal}]: {key}");
        T value;
        try
        {
            value = compute();
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            // A native failure is not a result: every step is seeded, so running it again gives the same numbers. A second failure is reported.
            Console.Error.WriteLine($"study: {key} failed in native code ({e.Message.Split('\n')[0]}); running it again");
            value = compute();
        }
        _cache[key] = JsonSerializer.SerializeToElement(value, WebLabJson.Options);
        _stepsRun++;
        Save();
    }

    /// <summary>Reads raw.json unless starting fresh; a raw.json of another plan (mode or seeds) is not resumed from.</summary>
    private void Load()
    {
        var planRecord = JsonSerializer.SerializeToElement(new { mode = plan.Mode.ToString().ToLowerInvariant(), plan.Seeds }, WebLabJson.Options);
        if (!fresh && File.Exists(_cachePath))
        {
            var cache = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(_cachePath), WebLabJson.Options) ?? new();
            // Compared as text without whitespace: raw.json is written indented, the record compact.
            if (cache.TryGetValue(PlanKey, out var stored) && JsonSerializer.Serialize(stored) == JsonSerializer.Serialize(planRecord))
                _cache = cache;
            else
                Console.Error.WriteLine($"study: {_cachePath} holds another plan (mode or seeds); starting over");
        }
        _cache[PlanKey] = planRecord;
    }

    private void Save()
    {
        var temp = _cachePath + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(_cache, WebLabJson.Options));
        File.Move(temp, _cachePath, overwrite: true);
    }
}
