using TorchSharp;
using WebLab.Data;
using WebLab.Models;
using WebLab.Training;
using WebLab.Transfer;
using static TorchSharp.torch;

namespace WebLab.Cli.Bench;

/// <summary>A model, input size and batch measured in both engines.</summary>
internal sealed record Workload(string Model, int Size, int Batch, int Channels = 3)
{
    public const int Classes = 10;

    /// <summary>Issue 7's pair: CIFAR-style ResNet-20 at 32 px, batch 128; torchvision ResNet-18 at 64 px, batch 32.</summary>
    public static IReadOnlyList<Workload> Training { get; } = [new("resnet20", 32, 128), new("resnet18", 64, 32)];

    /// <summary>Inference runs at the product's evaluation batch (Evaluation.Run's default).</summary>
    public static IReadOnlyList<Workload> Inference { get; } = [new("resnet20", 32, 256), new("resnet18", 64, 256)];

    public override string ToString() => $"{Model} {Size}px b{Batch}" + (Channels == 1 ? " grey" : "");

    /// <summary>The demo's scratch arm: ResNet-8 on 28 px greyscale Fashion-MNIST, batch 32 (what `bench warm-up` starts).</summary>
    public static Workload Demo { get; } = new("resnet8", 28, 32, Channels: 1);

    /// <summary>The arguments bench/pytorch's scripts take for this workload (and for <paramref name="arithmetic"/>'s CPU modes).</summary>
    public IEnumerable<string> ScriptArguments(int threads, Arithmetic? arithmetic = null) =>
        new[] { "--model", Model, "--size", $"{Size}", "--batch", $"{Batch}", "--channels", $"{Channels}", "--classes", $"{Classes}", "--threads", $"{threads}" }
            .Concat(arithmetic?.Precision == Precision.BFloat16 ? ["--bf16"] : [])
            .Concat(arithmetic?.ChannelsLast == true ? ["--channels-last"] : []);

    /// <summary>The workloads whose model is in the comma-separated <paramref name="models"/> (all when empty or "all"), for --models.</summary>
    public static IReadOnlyList<Workload> Select(IReadOnlyList<Workload> all, string? models) =>
        string.IsNullOrWhiteSpace(models) || models == "all"
            ? all
            : [.. all.Where(w => models.Split(',', StringSplitOptions.TrimEntries).Contains(w.Model))];
}

/// <summary>
/// A workload set up in WebLab the way an experiment's scratch arm is: the architecture from the registry,
/// parameter groups and L2 from <see cref="TransferPlan"/>, the trainer's SGD (momentum 0.9, Nesterov),
/// cosine schedule and augmentation, and a uint8 image cache at the training resolution (random pixels).
/// </summary>
internal sealed class WebLabWorkload : IDisposable
{
    private readonly BlockModel _model;
    private readonly DataSplits _data;
    private readonly IReadOnlyList<BlockPlan> _plan;

    public WebLabWorkload(Workload workload, int images, bool augment = true, Arithmetic? arithmetic = null)
    {
        Workload = workload;
        Arithmetic = arithmetic ?? Arithmetic.Exact;
        torch.manual_seed(0);
        _model = Architectures.Create(new ModelSpec(workload.Model, Workload.Classes, workload.Channels, workload.Size));
        _plan = TransferPlan.ForScratch(_model.Blocks, new TransferDials(), new ScratchDials());
        int cache = ImageTransform.CacheSizeFor(workload.Size);
        int c = workload.Channels;
        _data = new DataSplits(Synthetic(images, c, cache), Synthetic(0, c, cache), Synthetic(0, c, cache));
        Transform = new ImageTransform(workload.Size, c, [.. Enumerable.Repeat(0.5f, c)], [.. Enumerable.Repeat(0.25f, c)],
            augment ? Augmentation.For(workload.Size, flip: true) : Augmentation.Off);
    }

    public Workload Workload { get; }

    /// <summary>bf16 autocast and channels-last for the trainer, the bare loop and evaluation alike.</summary>
    public Arithmetic Arithmetic { get; }

    public ImageTransform Transform { get; }

    /// <summary>
    /// Runs the product's <see cref="Trainer"/> for <paramref name="warmup"/> + <paramref name="steps"/> steps and
    /// returns steps/s between the first progress record after the warmup and the last one (both are taken at step
    /// boundaries, so the figure is exact and excludes the run's setup and first steps), with the loader-wait fraction.
    /// </summary>
    /// <param name="timed">False for an untimed warm-up run (JIT, first allocations): no rate is needed, NaN is returned.</param>
    public (double StepsPerSecond, double LoaderWait) Train(int warmup, int steps, bool timed = true)
    {
        var settings = new TrainerSettings(OptimizerKind.Sgd, Momentum: 0.9, Nesterov: true, Steps: warmup + steps,
            BatchSize: Workload.Batch, Schedule: new Schedule(), Arithmetic: Arithmetic);
        var marks = new List<(int Step, double Seconds)>();
        var progress = new InlineProgress<TrainingProgress>(p =>
        {
            if (!p.EpochEnd && p.Step >= warmup)
                marks.Add((p.Step, p.ElapsedSeconds));
        });
        var result = Trainer.Run(_model, TransferPlan.Groups(_model, _plan), _data, Transform, settings, torch.CPU,
            new RunLabel("bench", 0, "train-step"), progress);
        if (!timed)
            return (double.NaN, result.LoaderWaitFraction);
        if (marks.Count < 2)
            throw new InvalidOperationException($"{Workload}: too few progress records to time; raise --steps");
        var (first, last) = (marks[0], marks[^1]);
        return ((last.Step - first.Step) / (last.Seconds - first.Seconds), result.LoaderWaitFraction);
    }

    /// <summary>
    /// steps/s of a bare TorchSharp loop on the same model, optimiser and L2: pre-made float batches (no loader, no
    /// augmentation), no schedule, no readout - the engine alone, what train_step.py is on the PyTorch side. The
    /// trainer's time over this loop's is the trainer's own overhead.
    /// </summary>
    public double BareLoop(int warmup, int steps)
    {
        var groups = TransferPlan.Groups(_model, _plan);
        using var optimizer = GroupOptimizer.Create(OptimizerKind.Sgd,
            groups.Select(g => new OptimizerGroup(g.Name, [.. g.Parameters.Select(p => p.Parameter)], g.LearningRate)), 0.9, nesterov: true);
        using var penalties = new WeightPenalties(groups);
        using var layout = Arithmetic.Apply(_model, torch.CPU);
        using var batches = new BareBatches(Workload, 4, Arithmetic);
        _model.train();
        var clock = new System.Diagnostics.Stopwatch();
        for (int i = 0; i < warmup + steps; i++)
        {
            if (i == warmup)
                clock.Start();
            using var scope = torch.NewDisposeScope();
            var (x, y) = batches[i];
            optimizer.ClearGradients();
            Tensor loss;
            using (Arithmetic.Forward(torch.CPU))
                loss = nn.functional.cross_entropy(_model.Classify(_model.Features(x)), y);
            loss.backward();
            penalties.AddGradients();
            optimizer.Step();
        }
        return steps / clock.Elapsed.TotalSeconds;
    }

    /// <summary>A few distinct float batches made up front and cycled, as bench/pytorch/train_step.py does.</summary>
    private sealed class BareBatches : IDisposable
    {
        private readonly (Tensor X, Tensor Y)[] _batches;

        public BareBatches(Workload workload, int count, Arithmetic arithmetic) => _batches = [.. Enumerable.Range(0, count).Select(_ =>
            (Make(workload, arithmetic),
             torch.randint(0, Workload.Classes, [workload.Batch]).DetachFromDisposeScope()))];

        public (Tensor X, Tensor Y) this[int step] => _batches[step % _batches.Length];

        private static Tensor Make(Workload workload, Arithmetic arithmetic)
        {
            using var scope = torch.NewDisposeScope();
            return arithmetic.Input(torch.randn(workload.Batch, workload.Channels, workload.Size, workload.Size)).DetachFromDisposeScope();
        }

        public void Dispose()
        {
            foreach (var (x, y) in _batches)
            {
                x.Dispose();
                y.Dispose();
            }
        }
    }

    /// <summary>Images/s of the product's evaluation (loader, transform, forward, loss, predictions) over the cache.</summary>
    public double Evaluate()
    {
        using var layout = Arithmetic.Apply(_model, torch.CPU);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var evaluation = Evaluation.Run(_model, _data.Train, Transform with { Augment = Augmentation.Off }, torch.CPU, Workload.Batch,
            arithmetic: Arithmetic);
        return evaluation.Count / clock.Elapsed.TotalSeconds;
    }

    private static LabeledImages Synthetic(int count, int channels, int size)
    {
        var pixels = torch.randint(0, 256, [count, channels, size, size], ScalarType.Byte);
        var labels = Enumerable.Range(0, count).Select(i => i % Workload.Classes).ToArray();
        var names = Enumerable.Range(0, Workload.Classes).Select(c => $"{c}").ToArray();
        return new LabeledImages(pixels, labels, names, Enumerable.Range(0, count).Select(i => $"synthetic#{i}").ToArray());
    }

    public void Dispose()
    {
        _data.Dispose();
        _model.Dispose();
    }
}
