using System.Text.Json;
using TorchSharp;

namespace WebLab.Cli.Bench;

/// <summary>
/// Training-step parity: WebLab's trainer against bench/pytorch/train_step.py on the same models, threads and
/// optimiser, interleaved (WebLab repeat, then PyTorch repeat, ...) so machine noise lands on both sides.
/// </summary>
internal static class TrainStepBench
{
    public const double Goal = 1.05;

    public static int Run(BenchOptions options, PyTorchReference reference, int warmup, int steps, bool augment = true)
    {
        torch.set_num_threads(options.Threads);
        var missing = reference.Unavailable();
        if (missing is not null)
            Console.Error.WriteLine($"  PyTorch reference skipped: {missing}. WebLab's own numbers follow.");
        var file = new ResultsFile("Training step: WebLab vs PyTorch" + (augment ? "" : " (trainer without augmentation)"), options.Command)
            .Columns("workload", "WebLab steps/s", "PyTorch steps/s", "step time WebLab/PyTorch", "goal", "bare TorchSharp loop steps/s",
                "step time WebLab/bare", "loader wait", "repeats");
        bool met = true;
        foreach (var workload in Workload.Training)
        {
            using var weblab = new WebLabWorkload(workload, workload.Batch * (warmup + steps + 2), augment);
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
                    var json = reference.Run("train_step.py", workload.ScriptArguments(options.Threads)
                        .Concat(["--warmup", $"{warmup}", "--steps", $"{steps}", "--repeats", "1"]), TimeSpan.FromMinutes(10));
                    theirs.Add(json.GetProperty("steps_per_s").GetDouble());
                }
                Console.Error.WriteLine($"  {workload} repeat {r + 1}: WebLab {rate:F2} steps/s, bare TorchSharp loop {bare[r]:F2} steps/s" +
                    (theirs.Count > r ? $", PyTorch {theirs[r]:F2} steps/s" : ""));
            }
            double ourMedian = Stats.Median(ours);
            double overhead = Stats.PairedRatio(bare, ours);
            if (theirs.Count > 0)
            {
                double ratio = Stats.PairedRatio(theirs, ours); // step time ratio = their rate / our rate
                met &= ratio <= Goal;
                file.Row($"{workload}", $"{ourMedian:F2}", $"{Stats.Median(theirs):F2}", $"**{ratio:F3}**",
                    ratio <= Goal ? $"<= {Goal} met" : $"<= {Goal} MISSED", $"{Stats.Median(bare):F2}", $"{overhead:F3}", $"{Stats.Median(waits):P1}",
                    $"{options.Repeats}");
            }
            else
            {
                file.Row($"{workload}", $"{ourMedian:F2}", "not run", "-", $"<= {Goal}", $"{Stats.Median(bare):F2}", $"{overhead:F3}",
                    $"{Stats.Median(waits):P1}", $"{options.Repeats}");
            }
        }
        file.Note($"{options.Threads} threads on both sides; SGD momentum 0.9 Nesterov, L2 5e-4, cross-entropy; {warmup} warmup + {steps} timed steps per repeat.");
        file.Note("WebLab: the experiment trainer (Trainer.Run: loader thread with " +
            (augment ? "pad-crop/resized-crop + flip augmentation" : "no augmentation (--no-augmentation: centre crop only)") + " from a uint8 cache, " +
            "per-group learning rates, L2 as gradient terms, loss/accuracy readout); PyTorch: a bare loop on pre-made float batches; " +
            "bare TorchSharp loop: the same loop as PyTorch's in TorchSharp (same model, WebLab's optimiser and L2, pre-made batches), so " +
            "WebLab/bare is the trainer's own overhead and bare/PyTorch the engine's (libtorch 2.10 via TorchSharp vs torch 2.6).");
        file.Note($"PyTorch: {reference.Describe()}; ratio = median of per-repeat ratios.");
        file.Save(options.Results, augment ? "train-step.md" : "train-step-no-augmentation.md");
        return met ? 0 : 3;
    }

    internal static double Rate(JsonElement json, string property) => json.GetProperty(property).GetDouble();
}
