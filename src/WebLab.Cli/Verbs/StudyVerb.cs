using System.CommandLine;
using WebLab.Checkpoints.Zoo;
using WebLab.Cli.Study;
using WebLab.Training;

namespace WebLab.Cli.Verbs;

/// <summary>weblab study: the validation study - do the presets, the recommender and the measures hold up on real data here?</summary>
internal static class StudyVerb
{
    /// <summary>Every run with ImageNet's ResNet-18 uses this input size: 64 px (emoji-nature's own size) keeps a 2-core study feasible.</summary>
    public const int ImageNetInputSize = 64;

    public static Command Create()
    {
        var output = new Option<string?>("--out") { Description = "folder for results.md, study.json, the plots and raw.json (default: bench/study for --quick, bench/study-full for the full plan; raw.json doubles as a resume cache of one plan: a run of the other plan starts it over)" };
        var seeds = new Option<int?>("--seeds") { Description = "seeds per configuration (default 5; 3 with --quick)" };
        var quick = new Option<bool>("--quick") { Description = "the quick plan: the demo source only, 3 answer pairs (1 calibration, 2 held out), 3 grid points, one task per measures cell, 3 seeds (under 30 min on 2 cores once the demo source exists)" };
        var fresh = new Option<bool>("--fresh") { Description = "ignore raw.json and run everything again" };
        var reportOnly = new Option<bool>("--report-only") { Description = "write the results from what raw.json holds; run nothing" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print what the plan trains (runs and images per source) and run nothing" };
        var noReuse = new Option<bool>("--no-reuse") { Description = "train every scratch arm even when an identical one has run before" };
        var axisContrast = new Option<bool>("--axis-contrast") { Description = "with --quick: also run small-similar and small-dissimilar on every measures task, which tests the similarity axis on the choice it makes (the full plan always does; about 15 more minutes on 2 cores)" };
        var source = new Option<string?>("--source")
        {
            Description = "run only the pairs of this source: demo (resnet8) or imagenet (ResNet-18 at 64 px; with --quick it gets the quick plan's measures tasks)",
        };
        source.AcceptOnlyFromAmong("demo", "imagenet");
        var targets = new Option<string?>("--targets")
        {
            Description = $"run only the pairs on these target datasets, comma-separated ({string.Join(", ", StudyPlan.TargetDatasets)}); " +
                          "the records join raw.json's, so running the rest later completes the plan",
        };
        targets.Validators.Add(result =>
        {
            if (ParseTargets(result.GetValueOrDefault<string?>()) is { } ids && ids.Except(StudyPlan.TargetDatasets).ToList() is [_, ..] unknown)
                result.AddError($"--targets: {string.Join(", ", unknown)}: not among the study's targets ({string.Join(", ", StudyPlan.TargetDatasets)})");
        });
        var device = Cli.Device();
        var command = new Command("study",
            "Validation study: every answer (presets and 'don't transfer') with both arms tuned on validation, NTG at matched updates and tuned, " +
            "rank correlations of the transferability measures with accuracy and gain over stratified tasks, and the recommender scored on held-out pairs; " +
            "writes results.md, study.json and SVG plots.")
        {
            output, seeds, quick, fresh, reportOnly, dryRun, noReuse, axisContrast, source, targets, device,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var mode = parse.GetValue(quick) ? StudyMode.Quick : StudyMode.Full;
            var dev = parse.GetValue(device)!;
            var demo = new StudySource("demo", "resnet8 (Fashion-MNIST 0-4)", DemoVerb.DefaultCheckpoint, null);
            var imageNet = new StudySource("imagenet", "ResNet-18 (ImageNet)", DemoVerb.DefaultZooCheckpoint, ImageNetInputSize);
            var scope = new StudyScope(parse.GetValue(source), ParseTargets(parse.GetValue(targets)));
            var plan = StudyPlan.For(mode, parse.GetValue(seeds), demo, imageNet, parse.GetValue(axisContrast) ? true : null, scope);
            if (plan.AnswerPairs.Count + plan.MeasurePairs.Count == 0)
            {
                Console.Error.WriteLine("study: --source and --targets leave none of the plan's pairs to run");
                return Task.FromResult(2);
            }
            if (parse.GetValue(dryRun))
            {
                PrintWorkload(plan);
                return Task.FromResult(0);
            }
            if (!parse.GetValue(reportOnly) && !EnsureSources(plan, dev, cancellationToken))
                return Task.FromResult(1);
            // Each plan has its own default folder, so running one never starts the other's raw.json over.
            var folder = parse.GetValue(output) ?? Path.Combine("bench", mode == StudyMode.Quick ? "study" : "study-full");
            Directory.CreateDirectory(folder);
            IScratchRunCache scratchRuns = parse.GetValue(noReuse) ? NoScratchRunCache.Instance : new FolderScratchRunCache(FolderScratchRunCache.DefaultRoot);
            var data = new StudyRunner(plan, folder, dev, parse.GetValue(fresh), parse.GetValue(reportOnly), scratchRuns).Run(cancellationToken);
            var summary = StudyReport.Write(folder, data, Bench.Machine.Describe());
            Console.Error.WriteLine($"study: wrote {Path.Combine(folder, "results.md")} and {Path.Combine(folder, Transfer.StudySummary.FileName)} ({summary.ComputeSeconds / 60:F1} min of compute)");
            return Task.FromResult(0);
        });
        return command;
    }

    private static string[]? ParseTargets(string? value) =>
        value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void PrintWorkload(StudyPlan plan)
    {
        Console.WriteLine($"{plan.Mode.ToString().ToLowerInvariant()} plan, {plan.Seeds} seeds: {plan.AnswerPairs.Count} answer pairs, {plan.MeasurePairs.Count} measure pairs");
        Console.WriteLine($"{"source",-40} {"experiments",11} {"transfer runs",13} {"images (M)",10} {"scratch runs",12} {"images (M)",10}");
        foreach (var w in plan.Workload())
            Console.WriteLine($"{w.Source,-40} {w.Experiments,11} {w.TransferRuns,13} {w.TransferImages / 1e6,10:F1} {w.ScratchRuns,12} {w.ScratchImages / 1e6,10:F1}");
    }

    /// <summary>The demo source is pretrained and the zoo's ResNet-18 installed when missing (both offline).</summary>
    private static bool EnsureSources(StudyPlan plan, string device, CancellationToken cancellationToken)
    {
        foreach (var source in plan.AnswerPairs.Concat(plan.MeasurePairs).Select(p => p.Source).DistinctBy(s => s.Id))
        {
            if (File.Exists(source.Path))
                continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(source.Path))!);
            if (source.Id == "demo")
            {
                Console.Error.WriteLine($"study: pretraining the demo source first ({source.Path})");
                if (PretrainVerb.Run(Demo.Source(source.Path, device), false, false, cancellationToken) != 0)
                    return false;
            }
            else
            {
                Console.Error.WriteLine($"study: installing {ModelZoo.ResNet18ImageNet} from the zoo ({source.Path})");
                ModelZoo.Install(ModelZoo.ResNet18ImageNet, source.Path);
            }
        }
        return true;
    }
}
