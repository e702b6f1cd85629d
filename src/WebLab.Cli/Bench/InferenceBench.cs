using TorchSharp;
using WebLab.Training;

namespace WebLab.Cli.Bench;

/// <summary>Inference parity: WebLab's evaluation path against bench/pytorch/infer.py, interleaved.</summary>
internal static class InferenceBench
{
    public const double Goal = 0.95;

    public static int Run(BenchOptions options, PyTorchReference reference, int batches, Arithmetic? arithmetic = null)
    {
        arithmetic ??= Arithmetic.Exact;
        torch.set_num_threads(options.Threads);
        var missing = reference.Unavailable();
        if (missing is not null)
            Console.Error.WriteLine($"  PyTorch reference skipped: {missing}. WebLab's own numbers follow.");
        var file = new ResultsFile("Inference: WebLab vs PyTorch" + (arithmetic.IsExact ? "" : $" ({ArithmeticNames.Describe(arithmetic)})"), options.Command)
            .Columns("workload", "WebLab images/s", "PyTorch images/s", "images/s WebLab/PyTorch", "95 % interval", "goal", "repeats");
        bool met = true;
        foreach (var workload in Workload.Inference)
        {
            using var weblab = new WebLabWorkload(workload, workload.Batch * batches, arithmetic: arithmetic);
            weblab.Evaluate();
            var ours = new List<double>();
            var theirs = new List<double>();
            for (int r = 0; r < options.Repeats; r++)
            {
                ours.Add(weblab.Evaluate());
                if (missing is null)
                {
                    var json = reference.Run("infer.py", workload.ScriptArguments(options.Threads, arithmetic)
                        .Concat(["--batches", $"{batches}", "--repeats", "1"]), TimeSpan.FromMinutes(10));
                    theirs.Add(TrainStepBench.Rate(json, "images_per_s"));
                }
                Console.Error.WriteLine($"  {workload} repeat {r + 1}: WebLab {ours[r]:F0} images/s" +
                    (theirs.Count > r ? $", PyTorch {theirs[r]:F0} images/s" : ""));
            }
            if (theirs.Count > 0)
            {
                var ratio = Stats.PairedRatioInterval(ours, theirs);
                met &= ratio.Ratio >= Goal;
                file.Row($"{workload}", $"{Stats.Median(ours):F0}", $"{Stats.Median(theirs):F0}", $"**{ratio.Ratio:F3}**", ratio.Interval,
                    ratio.Ratio >= Goal ? $">= {Goal} met" : $">= {Goal} MISSED", $"{options.Repeats}");
            }
            else
            {
                file.Row($"{workload}", $"{Stats.Median(ours):F0}", "not run", "-", "-", $">= {Goal}", $"{options.Repeats}");
            }
        }
        file.Note($"{options.Threads} threads on both sides; {batches} batches per repeat; arithmetic: {ArithmeticNames.Describe(arithmetic)}.");
        file.Note("WebLab: Evaluation.Run, the path every validation and test evaluation takes: the set is transformed (uint8 -> normalised float) " +
            "once and kept while it fits in 256 MiB, as for every per-epoch validation of a small target (the untimed first pass builds it; larger sets " +
            "stream through the loader thread), then inference-mode forward, loss, predictions copied out; PyTorch: inference_mode forward + argmax " +
            "on pre-made float batches.");
        file.Note($"PyTorch: {reference.Describe()}; ratio = geometric mean of per-repeat pair ratios, 95 % interval a t-interval on their logarithms.");
        file.Save(options.Results, $"inference{ArithmeticNames.Suffix(arithmetic)}.md");
        return met ? 0 : 3;
    }
}
