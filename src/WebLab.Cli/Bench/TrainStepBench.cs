using System.Text.Json;
using TorchSharp;
using WebLab.Training;

namespace WebLab.Cli.Bench;

/// <summary>
/// Training-step parity: WebLab's trainer against bench/pytorch/train_step.py on the same models, threads and
/// optimiser, interleaved (WebLab, bare TorchSharp loop, PyTorch, then again) so machine noise lands on all three.
/// </summary>
/// <remarks>
/// The protocol answers issue 15's "a benchmark that noise cannot fool": at least 100 timed steps and 7 repeats by
/// default, and the ratio reported as the geometric mean of the per-repeat pairs with a 95 % t-interval on their
/// logarithms, so a reader sees how far one run can be trusted instead of a bare median.
/// </remarks>
internal static class TrainStepBench
{
    public const double Goal = 1.05;
    public const int MinimumSteps = 100;
    public const int MinimumRepeats = 7;

    public static int Run(BenchOptions options, PyTorchReference reference, int warmup, int steps, bool augment = true,
        Arithmetic? arithmetic = null, string? models = null)
    {
        arithmetic ??= Arithmetic.Exact;
        torch.set_num_threads(options.Threads);
        var missing = reference.Unavailable();
        if (missing is not null)
            Console.Error.WriteLine($"  PyTorch reference skipped: {missing}. WebLab's own numbers follow.");
        var mode = ArithmeticNames.Describe(arithmetic);
        var file = new ResultsFile("Training step: WebLab vs PyTorch" + (augment ? "" : " (trainer without augmentation)") +
                (arithmetic.IsExact ? "" : $" ({mode})"), options.Command)
            .Columns("workload", "WebLab steps/s", "PyTorch steps/s", "step time WebLab/PyTorch", "95 % interval", "goal",
                "bare TorchSharp loop steps/s", "step time WebLab/bare", "step time bare/PyTorch", "loader wait", "repeats x steps");
        bool met = true;
        foreach (var workload in Workload.Select(Workload.Training, models))
        {
            using var weblab = new WebLabWorkload(workload, workload.Batch * (warmup + steps + 2), augment, arithmetic);
            weblab.Train(1, 3, timed: false); // JIT, first allocations
            weblab.BareLoop(1, 3);
            var ours = new List<double>();
            var bare = new List<double>();
            var theirs = new List<double>();
            var waits = new List<double>();
            for (int r = 0; r < options.Repeats; r++)
            {
                var (rate, wait) = weblab.Train(warmup, steps);
                ours.Add(rate);
                waits.Add(wait);
                bare.Add(weblab.BareLoop(warmup, steps));
                if (missing is null)
                {
                    var json = reference.Run("train_step.py", workload.ScriptArguments(options.Threads, arithmetic)
                        .Concat(["--warmup", $"{warmup}", "--steps", $"{steps}", "--repeats", "1"]), TimeSpan.FromMinutes(10));
                    theirs.Add(json.GetProperty("steps_per_s").GetDouble());
                }
                Console.Error.WriteLine($"  {workload} repeat {r + 1}: WebLab {rate:F2} steps/s, bare TorchSharp loop {bare[r]:F2} steps/s" +
                    (theirs.Count > r ? $", PyTorch {theirs[r]:F2} steps/s" : "") + $" (load {Machine.LoadAverage})");
            }
            var overhead = Stats.PairedRatioInterval(bare, ours);
            string shape = $"{options.Repeats} x {steps}";
            if (theirs.Count > 0)
            {
                var ratio = Stats.PairedRatioInterval(theirs, ours); // step time ratio = their rate / our rate
                var engine = Stats.PairedRatioInterval(theirs, bare);
                met &= ratio.Ratio <= Goal;
                file.Row($"{workload}", $"{Stats.Median(ours):F2}", $"{Stats.Median(theirs):F2}", $"**{ratio.Ratio:F3}**", ratio.Interval,
                    ratio.Ratio <= Goal ? $"<= {Goal} met" + (ratio.High <= Goal ? " (whole interval)" : "") : $"<= {Goal} MISSED",
                    $"{Stats.Median(bare):F2}", $"{overhead}", $"{engine.Ratio:F3}", $"{Stats.Median(waits):P1}", shape);
            }
            else
            {
                file.Row($"{workload}", $"{Stats.Median(ours):F2}", "not run", "-", "-", $"<= {Goal}", $"{Stats.Median(bare):F2}", $"{overhead}", "-",
                    $"{Stats.Median(waits):P1}", shape);
            }
        }
        file.Note($"{options.Threads} threads on both sides; SGD momentum 0.9 Nesterov, L2 5e-4, cross-entropy; {warmup} untimed + {steps} timed steps " +
            $"per repeat; arithmetic: {mode}." +
            (steps < MinimumSteps || options.Repeats < MinimumRepeats
                ? $" **Below the protocol's minimum ({MinimumRepeats} repeats of {MinimumSteps} steps): an exploratory run.**"
                : ""));
        file.Note("WebLab: the experiment trainer (Trainer.Run: loader thread with " +
            (augment ? "pad-crop/resized-crop + flip augmentation" : "no augmentation (--no-augmentation: centre crop only)") + " from a uint8 cache, " +
            "per-group learning rates, L2 as gradient terms, loss/accuracy readout); PyTorch: a bare loop on pre-made float batches; " +
            "bare TorchSharp loop: the same loop as PyTorch's in TorchSharp (same model, WebLab's optimiser and L2, pre-made batches), so " +
            "WebLab/bare is the trainer's own overhead and bare/PyTorch the engine's (libtorch 2.10 via TorchSharp vs torch 2.6).");
        file.Note("Protocol: each repeat runs WebLab's trainer, then the bare loop, then PyTorch (a fresh python process per repeat), so slow spells " +
            "of the shared machine land on all three. Each repeat gives a pair ratio (PyTorch steps/s / WebLab steps/s = step time WebLab/PyTorch); " +
            "the table shows their **geometric mean** and its **95 % interval: a t-interval on the logarithms of the pair ratios** " +
            "(mean +- t(0.975, n-1) sd / sqrt(n), exponentiated). WebLab's rate is timed between progress records after the untimed steps " +
            "(at step boundaries), PyTorch's over its timed loop; absolute steps/s are medians.");
        file.Note($"PyTorch: {reference.Describe()}.");
        var name = (augment ? "train-step" : "train-step-no-augmentation") + ArithmeticNames.Suffix(arithmetic);
        file.Save(options.Results, (models is null or "all" ? name : $"{name}-{models.Replace(',', '-')}") + ".md");
        return met ? 0 : 3;
    }

    internal static double Rate(JsonElement json, string property) => json.GetProperty(property).GetDouble();
}
