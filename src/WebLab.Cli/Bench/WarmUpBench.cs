using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using WebLab.Lab.Workers;

namespace WebLab.Cli.Bench;

/// <summary>
/// Warm-up: how long a fresh process takes to finish its 25th training step, WebLab's trainer against
/// bench/pytorch/train_step.py, on the demo's scratch arm (ResNet-8, 28 px grey, batch 32). The demo's arms are only
/// about 100 steps long, so what the first steps cost (runtime start, JIT, libtorch's first kernels) is a real cost.
/// </summary>
/// <remarks>
/// Both sides count from the same moment, defined identically: the bench's wall clock just before it starts the
/// process (<c>dotnet weblab.dll</c>; <c>unshare</c> + <c>chroot</c> + <c>python3</c>), to the wall-clock time the
/// process writes when its Nth step has ended. Each process also writes when its model and data were ready, which splits
/// the time into start-up (runtime, libraries, model, data) and training (optimiser, loader, N steps). Processes
/// alternate between the arms, so the machine's slow spells land on all of them; ratios are per-round pairs.
/// </remarks>
internal static class WarmUpBench
{
    public const int DefaultSteps = 25;

    private sealed record Arm(string Label, string Dll, IReadOnlyDictionary<string, string> Environment);

    private sealed record Sample(double Ready, double Done);

    public static int Run(BenchOptions options, PyTorchReference reference, int processes, int steps, IReadOnlyList<string> variants)
    {
        var missing = reference.Unavailable();
        if (missing is not null)
            Console.Error.WriteLine($"  PyTorch reference skipped: {missing}. WebLab's own numbers follow.");
        var self = Path.Combine(AppContext.BaseDirectory, "weblab.dll");
        var arms = new List<Arm> { new("WebLab", self, new Dictionary<string, string>()) };
        arms.AddRange(variants.Select(v => ParseVariant(v, self)));
        var samples = arms.ToDictionary(a => a.Label, _ => new List<Sample>());
        var pytorch = new List<Sample>();
        var workload = Workload.Demo;
        for (int round = 0; round < processes; round++)
        {
            foreach (var arm in arms)
            {
                var sample = WebLabChild(arm, steps, options.Threads);
                samples[arm.Label].Add(sample);
                Console.Error.WriteLine($"  round {round + 1} {arm.Label}: ready {sample.Ready:F2} s, step {steps} {sample.Done:F2} s (load {Machine.LoadAverage})");
            }
            if (missing is null)
            {
                var json = reference.Run("train_step.py", workload.ScriptArguments(options.Threads).Concat(["--steps", $"{steps}", "--timeline"]),
                    TimeSpan.FromMinutes(5));
                double spawned = Unix(reference.LastStartedUtc);
                var sample = new Sample(json.GetProperty("ready_unix").GetDouble() - spawned,
                    json.GetProperty("step_end_unix").EnumerateArray().Last().GetDouble() - spawned);
                pytorch.Add(sample);
                Console.Error.WriteLine($"  round {round + 1} PyTorch: ready {sample.Ready:F2} s, step {steps} {sample.Done:F2} s");
            }
        }

        var file = new ResultsFile($"Warm-up: process start to the {Ordinal(steps)} training step, WebLab vs PyTorch", options.Command)
            .Columns("arm", $"start -> step {steps} (s)", "start -> ready (s)", $"ready -> step {steps} (s)", $"start -> step {steps}: arm/PyTorch",
                "95 % interval", "ready -> step: arm/PyTorch", $"start -> step {steps}: arm/{arms[0].Label} [95 %]", "processes");
        var first = samples[arms[0].Label];
        foreach (var arm in arms)
            file.Row(Row(arm.Label, samples[arm.Label], pytorch, arm == arms[0] ? [] : first));
        if (pytorch.Count > 0)
            file.Row(Row("PyTorch", pytorch, [], []));
        file.Note($"Workload: the demo's scratch arm, {workload} ({workload.Model}, {workload.Size} px, {workload.Channels} channel, batch {workload.Batch}), " +
            $"{options.Threads} threads, SGD momentum 0.9 Nesterov, {steps} steps; medians over {processes} fresh processes per arm, run in rounds " +
            "(each arm once per round); ratios are geometric means of the per-round pairs with a 95 % t-interval on their logarithms.");
        file.Note("**start**: the bench's wall clock just before it starts the process (`dotnet weblab.dll bench warm-up-run`, or `unshare` + `chroot` + " +
            "`python3 train_step.py --timeline`: a few ms of namespace set-up that WebLab's side does not pay). **ready**: the process's wall clock once " +
            "its runtime, libtorch, model and data exist (WebLab: after TorchRuntime.Initialize, the model from the registry, the parameter plan and a " +
            "uint8 image cache; PyTorch: after `import torch`, the model and 4 float batches). **step N**: the wall clock when the Nth optimiser " +
            "step has ended (WebLab: `Trainer.Run` with Steps = N returns - its optimiser, loader thread and augmentation included, plus an end-of-run " +
            "weight snapshot of ResNet-8's 78k parameters; PyTorch: `time.time()` after its Nth `optimizer.step()`, its optimiser made after ready).");
        if (arms.Count > 1)
            file.Note("Variants: " + string.Join("; ", arms.Skip(1).Select(a => $"{a.Label}: " + Describe(a, self))) + ".");
        file.Note($"PyTorch: {reference.Describe()}.");
        file.Save(options.Results, "warm-up.md");
        return 0;
    }

    private static string[] Row(string label, List<Sample> arm, List<Sample> pytorch, List<Sample> baseline)
    {
        string Median(Func<Sample, double> pick) => arm.Count == 0 ? "-" : $"{Stats.Median(arm.Select(pick).ToArray()):F2}";
        var total = pytorch.Count > 0 ? Stats.PairedRatioInterval(arm.Select(s => s.Done).ToArray(), pytorch.Select(s => s.Done).ToArray()) : null;
        var training = pytorch.Count > 0
            ? Stats.PairedRatioInterval(arm.Select(s => s.Done - s.Ready).ToArray(), pytorch.Select(s => s.Done - s.Ready).ToArray())
            : null;
        return [label, Median(s => s.Done), Median(s => s.Ready), Median(s => s.Done - s.Ready),
            total is null ? "-" : $"**{total.Ratio:F3}**", total?.Interval ?? "-", training is null ? "-" : $"{training.Ratio:F3} ({training.Interval})",
            baseline.Count == 0 ? "-" : $"{Stats.PairedRatioInterval(arm.Select(s => s.Done).ToArray(), baseline.Select(s => s.Done).ToArray())}",
            $"{arm.Count}"];
    }

    private static string Describe(Arm arm, string self)
    {
        var parts = arm.Environment.Select(kv => $"{kv.Key}={kv.Value}").ToList();
        if (arm.Dll != self)
            parts.Insert(0, $"the build at {arm.Dll}");
        return string.Join(", ", parts);
    }

    /// <summary>"label=VAR=VALUE;VAR2=VALUE2" (environment), "label=@path/weblab.dll" (another build) or both ("label=@path;VAR=VALUE").</summary>
    private static Arm ParseVariant(string text, string self)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
            throw new BadInputException($"--variant: '{text}' is not LABEL=VAR=VALUE[;VAR=VALUE] or LABEL=@PATH[;VAR=VALUE].");
        var (label, rest) = (text[..eq], text[(eq + 1)..]);
        var parts = rest.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var dll = parts.Length > 0 && parts[0].StartsWith('@') ? Path.GetFullPath(parts[0][1..]) : self;
        var environment = new Dictionary<string, string>();
        foreach (var pair in parts.Where(p => !p.StartsWith('@')))
        {
            int at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
                throw new BadInputException($"--variant {label}: '{pair}' is not VAR=VALUE.");
            environment[pair[..at]] = pair[(at + 1)..];
        }
        return new Arm(label, dll, environment);
    }

    private static Sample WebLabChild(Arm arm, int steps, int threads)
    {
        var start = new ProcessStartInfo(WorkerProcess.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { arm.Dll, "bench", "warm-up-run", "--steps", $"{steps}", "--threads", $"{threads}" })
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in arm.Environment)
            start.Environment[name] = value;
        double spawned = Unix(DateTime.UtcNow);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + arm.Dll);
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        if (process.ExitCode != 0 || line is null || !line.StartsWith('{'))
            throw new InvalidOperationException($"{arm.Label}: warm-up-run failed ({process.ExitCode}): {error.Result.Trim()}");
        var json = JsonDocument.Parse(line).RootElement;
        return new Sample(json.GetProperty("ready_unix").GetDouble() - spawned, json.GetProperty("done_unix").GetDouble() - spawned);
    }

    /// <summary>
    /// The measured process: build the demo's workload, train N steps with the experiment trainer in the default arithmetic
    /// (so a variant can set WEBLAB_ARITHMETIC), print the times.
    /// </summary>
    public static int RunChild(int steps, int threads)
    {
        torch.set_num_threads(threads);
        using var weblab = new WebLabWorkload(Workload.Demo, Workload.Demo.Batch * (steps + 2), arithmetic: WebLab.Training.Arithmetic.DefaultFor(torch.CPU));
        double ready = Unix(DateTime.UtcNow);
        weblab.Train(0, steps, timed: false);
        double done = Unix(DateTime.UtcNow);
        Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double> { ["ready_unix"] = ready, ["done_unix"] = done }));
        return 0;
    }

    private static double Unix(DateTime utc) => (utc - DateTime.UnixEpoch).TotalSeconds;

    private static string Ordinal(int n) => n % 100 is 11 or 12 or 13 ? $"{n}th" : (n % 10) switch { 1 => $"{n}st", 2 => $"{n}nd", 3 => $"{n}rd", _ => $"{n}th" };
}
