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
        double? smallest = null;
        foreach (var size in ordered)
        {
            var workload = new Workload(model, size, batch);
            using var weblab = new WebLabWorkload(workload, batch * (warmup + steps + 2));
            weblab.Train(1, 2, timed: false); // JIT, first allocations at this size
            var rates = new List<double>();
            for (int r = 0; r < options.Repeats; r++)
            {
                rates.Add(weblab.Train(warmup, steps).StepsPerSecond);
                Console.Error.WriteLine($"  {workload} repeat {r + 1}: {rates[^1]:F3} steps/s");
            }
            double median = Stats.Median(rates);
            smallest ??= median;
            file.Row($"{size} px", median.ToString("F3", CultureInfo.InvariantCulture), (median * batch).ToString("F1", CultureInfo.InvariantCulture),
                $"{smallest.Value / median:F2}x", $"{Transfer.InputSizes.WorkRatio(size, ordered[0]):F2}x", $"{options.Repeats}");
        }
        file.Note($"{options.Threads} threads; the experiment trainer (Trainer.Run) with random-resized-crop + flip augmentation from a uint8 cache " +
            $"at each size's tile size; SGD momentum 0.9 Nesterov; {warmup} warmup + {steps} timed steps per repeat; random pixels, {Workload.Classes} classes.");
        file.Note("Compute grows with pixels: (size / smallest)^2 is what a convolutional network's FLOPs predict.");
        file.Save(options.Results, "input-size.md");
        return 0;
    }
}
