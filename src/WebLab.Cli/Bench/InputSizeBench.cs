using System.Globalization;
using TorchSharp;

namespace WebLab.Cli.Bench;

/// <summary>
/// What the input-size dial costs: training steps/s of the experiment trainer (augmentation and loader included) for one
/// model and batch at several input sizes, against the (size / smallest)^2 that pixel counts predict. The numbers the New
/// experiment page quotes (InputSizes.Measured) come from this benchmark.
/// </summary>
internal static class InputSizeBench
{
    public static int Run(BenchOptions options, string model, int batch, IReadOnlyList<int> sizes, int warmup, int steps)
    {
        if (sizes.Count == 0 || sizes.Any(s => s is < Transfer.InputSizes.Min or > Transfer.InputSizes.Max))
            throw new BadInputException($"--sizes needs one or more sizes in {Transfer.InputSizes.Min}..{Transfer.InputSizes.Max} px.");
        torch.set_num_threads(options.Threads);
        var file = new ResultsFile($"Input size: {model} training steps/s, batch {batch}", options.Command)
            .Columns("input size", "steps/s (median)", "images/s", "step time vs smallest", "pixels vs smallest", "repeats");
        var ordered = sizes.Distinct().Order().ToList();
        var workloads = ordered.Select(size => new WebLabWorkload(new Workload(model, size, batch), batch * (warmup + steps + 2))).ToList();
        try
        {
            foreach (var w in workloads)
                w.Train(1, 2, timed: false); // JIT, first allocations at this size
            // Repeats alternate the sizes, so a neighbour's load that comes and goes lands on every size alike.
            var rates = ordered.Select(_ => new List<double>()).ToList();
            for (int r = 0; r < options.Repeats; r++)
            {
                for (int i = 0; i < workloads.Count; i++)
                {
                    rates[i].Add(workloads[i].Train(warmup, steps).StepsPerSecond);
                    Console.Error.WriteLine($"  {workloads[i].Workload} repeat {r + 1}: {rates[i][^1]:F3} steps/s");
                }
            }
            for (int i = 0; i < workloads.Count; i++)
            {
                double median = Stats.Median(rates[i]);
                // Per-repeat ratios against the smallest size, paired as the repeats were run.
                double ratio = Stats.PairedRatio(rates[0], rates[i]); // step time ratio = the smallest size's rate / this one's
                file.Row($"{ordered[i]} px", median.ToString("F3", CultureInfo.InvariantCulture), (median * batch).ToString("F1", CultureInfo.InvariantCulture),
                    $"{ratio:F2}x", $"{Transfer.InputSizes.WorkRatio(ordered[i], ordered[0]):F2}x", $"{options.Repeats}");
            }
        }
        finally
        {
            foreach (var w in workloads)
                w.Dispose();
        }
        file.Note($"{options.Threads} threads; the experiment trainer (Trainer.Run) with random-resized-crop + flip augmentation from a uint8 cache " +
            $"at each size's tile size; SGD momentum 0.9 Nesterov; {warmup} warmup + {steps} timed steps per repeat, repeats alternating the sizes; step time " +
            $"vs smallest is the median of per-repeat ratios; random pixels, {Workload.Classes} classes.");
        file.Note("Compute grows with pixels: (size / smallest)^2 is what a convolutional network's FLOPs predict.");
        file.Save(options.Results, "input-size.md");
        return 0;
    }
}
