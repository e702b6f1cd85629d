using WebLab.Training;

namespace WebLab.Cli;

/// <summary>Renders experiment events on stderr: header, probe, a progress bar over the whole experiment, per-run lines.</summary>
internal sealed class ExperimentView(string? prefix = null) : IProgress<ExperimentEvent>
{
    private const int Width = 24;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private int _lastLength;
    private DateTime _lastLine = DateTime.MinValue;

    public void Report(ExperimentEvent value)
    {
        switch (value)
        {
            case ExperimentStarted s:
                Line($"{prefix}{s.Name}: {s.Target.Classes.Count} classes [{string.Join(", ", s.Target.Classes)}], " +
                     $"{s.Target.TrainSize} train / {s.Target.ValSize} val / {s.Target.TestSize} test images, {s.Runs} runs on {s.Device}" +
                     (s.InputSize is { } size ? $" at {size.Size} px" : ""));
                foreach (var warning in s.Warnings)
                    Line($"  warning: {warning}");
                break;
            case ProbeFinished p:
                Line($"  probe (linear head on frozen source features, stage {p.Probe.Stage}): test accuracy {p.Probe.TestAccuracy:P1} after {p.Probe.Seconds:F1} s");
                break;
            case PresetChosen c:
                Line($"  preset {c.Preset}" + (c.Recommendation is { } rec ? $" (size {rec.Size:F2}, similarity {rec.Similarity:F2}: {rec.Region})" : ""));
                foreach (var reason in c.Recommendation?.Reasons.Concat(c.Recommendation.Adjustments) ?? [])
                    Line($"    - {reason}");
                break;
            case TrainingUpdate u:
                Bar(u);
                break;
            case RunFinished r:
                var ntg = r.NtgSoFar is { } g ? $"  NTG so far {SignedNumber.Format(g * 100, 1)} points" : "";
                var took = r.Reused ? $"reused: an identical run took {r.Seconds:F1} s" : $"{r.Seconds:F1} s";
                Line($"  {r.Arm,-8} seed {r.Seed}: test accuracy {r.TestAccuracy:P1} (best val {r.BestValAccuracy:P1} at epoch {r.BestEpoch}, {took}){ntg}");
                break;
        }
    }

    private void Bar(TrainingUpdate u)
    {
        var p = u.Progress;
        if (!_interactive)
        {
            if (!p.EpochEnd || DateTime.UtcNow - _lastLine < TimeSpan.FromSeconds(5))
                return;
            _lastLine = DateTime.UtcNow;
        }
        int filled = (int)Math.Round(u.OverallFraction * Width);
        var eta = u.OverallEtaSeconds is { } e ? $" ETA {e:F0}s" : "";
        var val = p.ValAccuracy is { } v ? $" val {v:P1}" : "";
        var text = $"  [{new string('#', filled)}{new string('-', Width - filled)}] {u.OverallFraction,4:P0} {p.Arm} seed {p.Seed} epoch {p.Epoch}/{p.Epochs} " +
                   $"loss {p.TrainLoss:F3}{val} | {p.ImagesPerSecond:F0} img/s{eta}";
        if (_interactive)
        {
            Console.Error.Write("\r" + text.PadRight(_lastLength));
            _lastLength = text.Length;
        }
        else
        {
            Console.Error.WriteLine(text);
        }
    }

    private void Line(string text)
    {
        if (_interactive && _lastLength > 0)
        {
            Console.Error.Write("\r" + new string(' ', _lastLength) + "\r");
            _lastLength = 0;
        }
        Console.Error.WriteLine(text);
    }

    /// <summary>The summary table on stdout.</summary>
    public static void PrintSummary(ExperimentResult r)
    {
        Console.WriteLine();
        Console.WriteLine($"{r.Name}");
        Console.WriteLine($"  target {r.Target.Dataset}: {string.Join(", ", r.Target.Classes)}; {(r.Target.PerClass is { } pc ? $"{pc} images per class" : "all images")}, " +
                          $"{r.Target.TrainSize} train / {r.Target.ValSize} val / {r.Target.TestSize} test; {r.Seeds.Count} seeds; {r.Device}; {r.Seconds:F1} s");
        if (r.InputSize is { } size)
            Console.WriteLine($"  input size {size.Reason}");
        if (r.Probe is { } probe)
            Console.WriteLine($"  probe (frozen source features + linear head): test accuracy {probe.TestAccuracy:P1}");
        Console.WriteLine($"  {"arm",-9} {"test accuracy (mean ± std)",-28} per seed");
        foreach (var arm in r.Arms)
        {
            Console.WriteLine($"  {arm.Name,-9} {$"{arm.TestAccuracy.Mean:P1} ± {arm.TestAccuracy.Std * 100:F1}",-28} " +
                              string.Join("  ", arm.TestAccuracy.PerSeed.Select(a => $"{a:P1}")));
        }
        if (r.Ntg is { } ntg)
        {
            Console.WriteLine($"  NTG = test error(transfer) − test error(scratch) = {SignedNumber.Format(ntg.Mean * 100, 1)} points " +
                              $"({ntg.Interval()}); negative = transfer helped");
            Console.WriteLine($"  In words: {ntg.Sentence()}.");
        }
        if (r.Arms.SelectMany(a => a.Runs).Count(run => run.Reused) is var reused and > 0)
            Console.WriteLine($"  {reused} scratch run(s) reused from identical earlier runs, {r.SecondsSaved:F1} s of training saved (--no-reuse trains them)");
        foreach (var warning in r.Warnings)
            Console.WriteLine($"  warning: {warning}");
        if (r.Checkpoint is not null)
            Console.WriteLine($"  fine-tuned checkpoint (best validation seed): {r.Checkpoint}");
    }
}
