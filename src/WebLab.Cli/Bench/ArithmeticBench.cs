using TorchSharp;
using WebLab.Training;

namespace WebLab.Cli.Bench;

/// <summary>
/// bf16 autocast and channels-last against float32, on both engines: every mode of every workload runs in each repeat
/// (WebLab's trainer, then train_step.py, mode after mode), so each speed-up is a within-repeat pair. Then inference the
/// same way (Evaluation.Run against infer.py). What <see cref="Arithmetic.DefaultFor"/> picks follows from this table.
/// </summary>
internal static class ArithmeticBench
{
    private static readonly Arithmetic[] s_modes =
    [
        Arithmetic.Exact,
        new(Precision.BFloat16),
        new(ChannelsLast: true),
        new(Precision.BFloat16, ChannelsLast: true),
    ];

    /// <summary>The demo's scratch arm first (what a default would change most often), then issue 7's pair.</summary>
    private static IReadOnlyList<Workload> Training => [Workload.Demo, .. Workload.Training];

    public static int Run(BenchOptions options, PyTorchReference reference, int warmup, int steps, int batches, string? models,
        bool training = true, bool inference = true)
    {
        torch.set_num_threads(options.Threads);
        var missing = reference.Unavailable();
        if (missing is not null)
            Console.Error.WriteLine($"  PyTorch reference skipped: {missing}. WebLab's own numbers follow.");
        var file = new ResultsFile("Arithmetic: bf16 autocast and channels-last vs float32, WebLab and PyTorch", options.Command)
            .Columns("task", "workload", "arithmetic", "WebLab rate", "WebLab speed-up vs float32 [95 %]", "PyTorch rate",
                "PyTorch speed-up vs float32 [95 %]", "time WebLab/PyTorch [95 %]");
        foreach (var workload in training ? Workload.Select(Training, models) : [])
        {
            Measure(file, options, "training steps/s", workload, missing is null, mode =>
            {
                var weblab = new WebLabWorkload(workload, workload.Batch * (warmup + steps + 2), arithmetic: mode);
                weblab.Train(1, 3, timed: false);
                return weblab;
            }, weblab => weblab.Train(warmup, steps).StepsPerSecond, mode => TrainStepBench.Rate(reference.Run("train_step.py",
                workload.ScriptArguments(options.Threads, mode).Concat(["--warmup", $"{warmup}", "--steps", $"{steps}", "--repeats", "1"]),
                TimeSpan.FromMinutes(10)), "steps_per_s"));
        }
        foreach (var workload in inference ? Workload.Select(Workload.Inference, models) : [])
        {
            Measure(file, options, "inference images/s", workload, missing is null, mode =>
            {
                var weblab = new WebLabWorkload(workload, workload.Batch * batches, arithmetic: mode);
                weblab.Evaluate();
                return weblab;
            }, weblab => weblab.Evaluate(), mode => TrainStepBench.Rate(reference.Run("infer.py",
                workload.ScriptArguments(options.Threads, mode).Concat(["--batches", $"{batches}", "--repeats", "1"]), TimeSpan.FromMinutes(10)),
                "images_per_s"));
        }
        file.Note($"{options.Threads} threads on both sides; training: {warmup} untimed + {steps} timed steps per repeat (WebLab's experiment trainer with " +
            $"augmentation vs train_step.py, as in `bench train-step`); inference: {batches} batches per repeat (Evaluation.Run vs infer.py, as in `bench inference`); " +
            $"{options.Repeats} repeats, each running every mode on both engines in turn.");
        file.Note("bf16 autocast: the forward pass and loss under libtorch's CPU autocast (WebLab: `Arithmetic` calls at::autocast's switches, " +
            "TorchSharp 0.107 has no autocast; PyTorch: `torch.autocast('cpu', dtype=torch.bfloat16)`); weights, gradients and SGD stay float32. " +
            "channels-last: 4-D weights and every batch in NHWC memory format (WebLab: permute-contiguous-permute, TorchSharp has no memory_format; " +
            "PyTorch: `.to(memory_format=torch.channels_last)`).");
        file.Note("Speed-up = mode's rate / float32's rate in the same repeat (> 1 is faster); time WebLab/PyTorch = PyTorch's rate / WebLab's in the " +
            "same mode and repeat; each a geometric mean of the pairs with a 95 % t-interval on their logarithms.");
        file.Note($"PyTorch: {reference.Describe()}.");
        var name = "arithmetic" + (models is null or "all" ? "" : "-" + models.Replace(',', '-')) + (training && inference ? "" : training ? "-training" : "-inference");
        file.Save(options.Results, name + ".md");
        return 0;
    }

    private static void Measure(ResultsFile file, BenchOptions options, string task, Workload workload, bool pytorch,
        Func<Arithmetic, WebLabWorkload> prepare, Func<WebLabWorkload, double> ours, Func<Arithmetic, double> theirs)
    {
        var weblab = s_modes.Select(prepare).ToArray();
        try
        {
            var rates = s_modes.Select(_ => new List<double>()).ToArray();
            var references = s_modes.Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < options.Repeats; r++)
            {
                for (int m = 0; m < s_modes.Length; m++)
                {
                    rates[m].Add(ours(weblab[m]));
                    if (pytorch)
                        references[m].Add(theirs(s_modes[m]));
                    Console.Error.WriteLine($"  {task} {workload} {ArithmeticNames.Describe(s_modes[m])} repeat {r + 1}: WebLab {rates[m][r]:F2}" +
                        (pytorch ? $", PyTorch {references[m][r]:F2}" : "") + $" (load {Machine.LoadAverage})");
                }
            }
            for (int m = 0; m < s_modes.Length; m++)
            {
                bool baseline = m == 0;
                file.Row(task, $"{workload}", ArithmeticNames.Describe(s_modes[m]), $"{Stats.Median(rates[m]):F2}",
                    baseline ? "1" : $"{Stats.PairedRatioInterval(rates[m], rates[0])}",
                    pytorch ? $"{Stats.Median(references[m]):F2}" : "not run",
                    !pytorch ? "-" : baseline ? "1" : $"{Stats.PairedRatioInterval(references[m], references[0])}",
                    pytorch ? $"{Stats.PairedRatioInterval(references[m], rates[m])}" : "-");
            }
        }
        finally
        {
            foreach (var w in weblab)
                w.Dispose();
        }
    }
}
