using System.CommandLine;
using WebLab.Training;

namespace WebLab.Cli.Verbs;

/// <summary>weblab sweep: a grid over dials, or the data-efficiency sweep over images per class.</summary>
internal static class SweepVerb
{
    public static Command Create()
    {
        var common = new ExperimentVerb.Common();
        var grid = new Option<string[]>("--grid") { Description = "an axis: setting=v1,v2,... (repeatable), e.g. --grid blocksTransferred=1,2,3,4 --grid headLearningRate=0.01,0.05" };
        var sizes = new Option<string?>("--per-class-sizes") { Description = "data-efficiency sweep over images per class, e.g. 5,10,25,50,100,all" };
        var command = new Command("sweep", "Run a grid of experiments (every combination of the axes) and summarise transfer, scratch and the NTG per point.");
        foreach (var option in common.All.Append(grid).Append(sizes))
            command.Options.Add(option);
        command.SetAction((parse, cancellationToken) =>
        {
            var spec = common.Spec(parse, null);
            var axes = new List<SweepAxis>();
            if (parse.GetValue(sizes) is { } perClass)
                axes.Add(new SweepAxis("perClass", perClass.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
            foreach (var axis in parse.GetValue(grid) ?? [])
            {
                int eq = axis.IndexOf('=');
                if (eq <= 0)
                    throw new BadInputException($"--grid expects setting=v1,v2 (got '{axis}').");
                axes.Add(new SweepAxis(axis[..eq], axis[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
            }
            var sweep = new SweepSpec(spec, axes, spec.Name);
            var points = sweep.Points();
            Console.Error.WriteLine($"Sweep: {points.Count} points x {spec.Seeds} seeds x 2 arms");
            var views = new Dictionary<int, ExperimentView>();
            var progress = new InlineProgress<SweepProgress>(p =>
            {
                if (!views.TryGetValue(p.Point, out var view))
                    views[p.Point] = view = new ExperimentView($"[{p.Point + 1}/{p.Points}] ");
                view.Report(p.Event);
            });
            var result = Sweeps.Run(sweep, progress, files: Cli.Files(parse.GetValue(common.NoInstall)), scratchRuns: common.ScratchRuns(parse),
                cancellationToken: cancellationToken);
            PrintTable(result);
            Cli.WriteJson(parse, common.Json, result);
            return Task.FromResult(0);
        });
        return command;
    }

    private static void PrintTable(SweepResult result)
    {
        Console.WriteLine();
        Console.WriteLine($"{result.Name}: {result.Points.Count} points, {result.Seconds:F0} s (accuracies: test, mean over seeds; NTG in points, negative = transfer helped)");
        var keys = result.Axes.Select(a => a.Setting).ToList();
        Console.WriteLine(string.Join(" ", keys.Select(k => $"{k,-18}")) + $" {"transfer",9} {"scratch",9} {"NTG",7} {"95% CI",19}");
        foreach (var point in result.Points)
        {
            var ntg = point.Result.Ntg;
            Console.WriteLine(string.Join(" ", keys.Select(k => $"{point.Settings[k],-18}")) +
                              $" {point.TransferAccuracy,9:P1} {(point.ScratchAccuracy is { } s ? s.ToString("P1") : "-"),9} " +
                              $"{(ntg is null ? "-" : SignedNumber.Format(ntg.Mean * 100, 1)),7} " +
                              $"{ntg?.Range(),19}");
        }
        var runs = result.Points.SelectMany(p => p.Result.Arms).Where(a => a.Name == Experiment.ScratchArm).SelectMany(a => a.Runs).ToList();
        if (runs.Count(r => r.Reused) is var reused and > 0)
            Console.WriteLine($"scratch runs: {runs.Count - reused} trained, {reused} reused ({result.Points.Sum(p => p.Result.SecondsSaved):F0} s of training saved)");
    }
}
