using System.CommandLine;
using System.Text.Json;
using WebLab.Cli.Study;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Cli.Verbs;

/// <summary>weblab study: the validation study - do the presets, the recommender and the measures hold up on real data here?</summary>
internal static class StudyVerb
{
    public static Command Create()
    {
        var source = new Option<string?>("--source") { Description = "source checkpoint (default: the demo source; pretrained first if missing)" };
        var output = new Option<string>("--out") { Description = "folder for results.md, plane.svg and raw.json (raw.json doubles as a resume cache)", DefaultValueFactory = _ => "bench/study" };
        var seeds = new Option<int>("--seeds") { DefaultValueFactory = _ => 3 };
        var tasks = new Option<int>("--correlation-tasks") { Description = "random target tasks for the rank correlations", DefaultValueFactory = _ => StudyPlan.CorrelationTaskCount };
        var fresh = new Option<bool>("--fresh") { Description = "ignore raw.json and run everything again" };
        var reportOnly = new Option<bool>("--report-only") { Description = "write the results page from what raw.json holds; run nothing" };
        var device = Cli.Device();
        var command = new Command("study",
            "Validation study: every preset on similar and dissimilar targets of two sizes (3 seeds), the recommender's choice and regret, " +
            "rank correlations of the transferability measures with measured gains, and the survey's claims; writes a results page.")
        {
            source, output, seeds, tasks, fresh, reportOnly, device,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var sourcePath = parse.GetValue(source) ?? DemoVerb.DefaultCheckpoint;
            if (!File.Exists(sourcePath))
            {
                if (parse.GetValue(source) is not null)
                    throw new BadInputException($"Source checkpoint {sourcePath} does not exist.");
                Console.Error.WriteLine($"study: pretraining the demo source first ({sourcePath})");
                if (PretrainVerb.Run(Demo.Source(sourcePath, parse.GetValue(device)!), false, false, cancellationToken) != 0)
                    return Task.FromResult(1);
            }
            var folder = parse.GetValue(output)!;
            Directory.CreateDirectory(folder);
            var runner = new StudyRunner(sourcePath, folder, parse.GetValue(seeds), parse.GetValue(device)!, parse.GetValue(fresh),
                parse.GetValue(reportOnly));
            var results = runner.Run(parse.GetValue(tasks), cancellationToken);
            StudyReport.Write(folder, results);
            Console.Error.WriteLine($"study: wrote {Path.Combine(folder, "results.md")} ({results.Seconds / 60:F1} min)");
            return Task.FromResult(0);
        });
        return command;
    }
}

/// <summary>One experiment's numbers as the study keeps them (points for accuracies and NTG).</summary>
internal sealed record StudyRun(string Label, double Transfer, double TransferStd, double Scratch, double ScratchStd, double Ntg, double NtgLow, double NtgHigh,
    double Seconds, string Preset)
{
    public static StudyRun From(string label, ExperimentResult r) => new(label, 100 * r.TransferArm.TestAccuracy.Mean, 100 * r.TransferArm.TestAccuracy.Std,
        100 * r.ScratchArm.TestAccuracy.Mean, 100 * r.ScratchArm.TestAccuracy.Std, 100 * r.Ntg!.Mean, 100 * r.Ntg.Ci95[0], 100 * r.Ntg.Ci95[1], r.Seconds,
        r.Preset ?? "custom");
}

internal sealed record StudyTaskResult(StudyTask Task, AnalysisResult Analysis, Recommendation Recommendation, IReadOnlyList<StudyRun> Presets,
    IReadOnlyList<StudyRun> Ablations);

internal sealed record CorrelationRow(StudyTask Task, AnalysisResult Analysis, double Size, double Similarity, StudyRun Run);

internal sealed record StudyResults(string Machine, DateTimeOffset Date, double Seconds, int Seeds, string Source, IReadOnlyList<StudyTaskResult> Tasks,
    IReadOnlyList<CorrelationRow> Correlation, StudyRunRecord? LastRun = null);

/// <summary>
/// How the last `weblab study` invocation went: wall time, steps it ran and steps it took from raw.json, and how busy the
/// machine was at its start and end (1/5/15-minute load averages). Kept in raw.json under "lastRun".
/// </summary>
internal sealed record StudyRunRecord(DateTimeOffset Finished, double WallSeconds, int StepsRun, int StepsCached, string LoadAtStart, string LoadAtEnd);

/// <summary>Runs the study's experiments, caching each finished one in raw.json so an interrupted study resumes.</summary>
internal sealed class StudyRunner(string source, string folder, int seeds, string device, bool fresh, bool reportOnly)
{
    private readonly string _cachePath = Path.Combine(folder, "raw.json");
    private const string LastRunKey = "lastRun";
    private Dictionary<string, JsonElement> _cache = new();
    private int _stepsRun, _stepsCached;

    public StudyResults Run(int correlationTasks, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var loadAtStart = Bench.Machine.LoadAverage;
        if (!fresh && File.Exists(_cachePath))
            _cache = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(_cachePath), WebLabJson.Options) ?? new();
        // Small targets first (the recommender's main use), then the correlation tasks, then the larger targets.
        var order = StudyPlan.PresetTasks.OrderBy(t => t.PerClass).ToList();
        var tasks = new Dictionary<string, StudyTaskResult>();
        foreach (var task in order.Where(t => t.PerClass <= 20))
            tasks[task.Id] = RunTask(task, cancellationToken);
        var rows = new List<CorrelationRow>();
        foreach (var task in StudyPlan.CorrelationTasks(correlationTasks))
        {
            var analysed = Analyse(task, cancellationToken);
            var run = Experiment($"B/{task.Id}", "fixed recipe", StudyPlan.Spec(task, source, seeds, device) with { Transfer = StudyPlan.CorrelationRecipe },
                cancellationToken);
            if (analysed is var (analysis, recommendation) && run is not null)
                rows.Add(new CorrelationRow(task, analysis, recommendation.Size, recommendation.Similarity, run));
        }
        foreach (var task in order.Where(t => t.PerClass > 20))
            tasks[task.Id] = RunTask(task, cancellationToken);
        // Compute time is the sum of every step's own time, so a study resumed across several runs counts each step once.
        double seconds = _cache.Values.Sum(v => v.ValueKind == JsonValueKind.Object && v.TryGetProperty("seconds", out var t)
            && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : 0);
        var complete = StudyPlan.PresetTasks.Where(t => tasks[t.Id].Presets.Count > 0).Select(t => tasks[t.Id]).ToList();
        if (!reportOnly && _stepsRun > 0)
        {
            _cache[LastRunKey] = JsonSerializer.SerializeToElement(new StudyRunRecord(DateTimeOffset.Now, clock.Elapsed.TotalSeconds, _stepsRun,
                _stepsCached, loadAtStart, Bench.Machine.LoadAverage), WebLabJson.Options);
            Save();
        }
        var lastRun = _cache.TryGetValue(LastRunKey, out var record) ? record.Deserialize<StudyRunRecord>(WebLabJson.Options) : null;
        return new StudyResults(Machine(), DateTimeOffset.Now, seconds, seeds, source, complete, rows, lastRun);
    }

    private StudyTaskResult RunTask(StudyTask task, CancellationToken cancellationToken)
    {
        var analysed = Analyse(task, cancellationToken);
        var runs = new List<StudyRun>();
        var ablations = new List<StudyRun>();
        if (analysed is not var (analysis, recommendation))
            return new StudyTaskResult(task, null!, null!, runs, ablations);
        foreach (var preset in Presets.All)
        {
            if (preset.Id == "bit-hyperrule" && analysis.Size.Examples > StudyPlan.BitMaxExamples)
                continue;
            if (Experiment($"A/{task.Id}/{preset.Id}", preset.Id, StudyPlan.Spec(task, source, seeds, device) with { Preset = preset.Id },
                    cancellationToken) is { } run)
                runs.Add(run);
        }
        if (task.PerClass <= 20)
        {
            foreach (var (id, label, overrides) in StudyPlan.Ablations)
            {
                if (Experiment($"C/{task.Id}/{id}", label,
                        StudyPlan.Spec(task, source, seeds, device) with { Preset = "small-similar", Overrides = overrides }, cancellationToken) is { } run)
                    ablations.Add(run);
            }
        }
        return new StudyTaskResult(task, analysis, recommendation, runs, ablations);
    }

    private (AnalysisResult, Recommendation)? Analyse(StudyTask task, CancellationToken cancellationToken)
    {
        var analysis = Cached($"analysis/{task.Id}", () =>
        {
            Console.Error.WriteLine($"study: analyse {task.Label}");
            return Analysis.Run(new AnalysisSpec(task.Dataset, source, task.Classes, task.PerClass, Device: device), cancellationToken: cancellationToken);
        });
        return analysis is null ? null : (analysis, Recommender.Recommend(analysis));
    }

    private StudyRun? Experiment(string key, string label, ExperimentSpec spec, CancellationToken cancellationToken) => Cached(key, () =>
    {
        Console.Error.WriteLine($"study: {key}");
        var result = Training.Experiment.Run(spec, new ExperimentView("  "), cancellationToken: cancellationToken);
        var run = StudyRun.From(label, result);
        Console.Error.WriteLine($"  -> transfer {run.Transfer:F1} %, scratch {run.Scratch:F1} %, NTG {run.Ntg:+0.0;-0.0} points ({run.Seconds:F0} s)");
        return run;
    });

    private T? Cached<T>(string key, Func<T> compute) where T : class
    {
        if (_cache.TryGetValue(key, out var element))
        {
            _stepsCached++;
            return element.Deserialize<T>(WebLabJson.Options)!;
        }
        if (reportOnly)
            return null;
        T value;
        try
        {
            value = compute();
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            // A native failure is not a result: every step is seeded, so running it again gives the same numbers (see Scalars
            // for the TorchSharp race behind the ones seen here). A second failure is reported.
            Console.Error.WriteLine($"study: {key} failed in native code ({e.Message.Split('\n')[0]}); running it again");
            value = compute();
        }
        _cache[key] = JsonSerializer.SerializeToElement(value, WebLabJson.Options);
        _stepsRun++;
        Save();
        return value;
    }

    private void Save()
    {
        var temp = _cachePath + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(_cache, WebLabJson.Options));
        File.Move(temp, _cachePath, overwrite: true);
    }

    private static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : null;
        return $"{cpu ?? "unknown CPU"}, {Environment.ProcessorCount} cores, {os ?? Environment.OSVersion.ToString()}, .NET {Environment.Version}, TorchSharp CPU";
    }
}
