using System.Diagnostics;
using TorchSharp;
using WebLab.Data;
using WebLab.Models;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>Optimiser family.</summary>
public enum OptimizerKind
{
    Sgd,
    AdamW,
}

/// <summary>
/// How to train: optimiser, budget (epochs, or total steps when set), batch, schedule, label smoothing,
/// mixup, batch spectral shrinkage, early stopping, seed and arithmetic (null: <see cref="Training.Arithmetic.DefaultFor"/>).
/// Per-group learning rates and weight penalties come from <see cref="ParamGroupPlan"/>s.
/// </summary>
/// <param name="SampleWithReplacement">A training set smaller than a batch fills every batch by drawing with replacement (BiT's few-shot loader).</param>
public sealed record TrainerSettings(
    OptimizerKind Optimizer = OptimizerKind.Sgd,
    double Momentum = 0.9,
    bool Nesterov = false,
    int Epochs = 10,
    int? Steps = null,
    int BatchSize = 64,
    Schedule? Schedule = null,
    double LabelSmoothing = 0,
    double MixupAlpha = 0,
    int BssK = 1,
    double BssEta = 0,
    int? EarlyStoppingPatience = null,
    int Seed = 0,
    Arithmetic? Arithmetic = null,
    bool SampleWithReplacement = false)
{
    /// <summary>Total optimiser steps for a training set of <paramref name="batchesPerEpoch"/> batches.</summary>
    public int TotalSteps(int batchesPerEpoch) => Steps ?? Epochs * batchesPerEpoch;

    /// <summary>Epochs needed to run <see cref="TotalSteps"/> (the last may be partial).</summary>
    public int TotalEpochs(int batchesPerEpoch) => (TotalSteps(batchesPerEpoch) + batchesPerEpoch - 1) / batchesPerEpoch;
}

/// <summary>Names a run in progress records.</summary>
public sealed record RunLabel(string Arm, int Seed, string Stage);

/// <summary>What a training run did. The model holds the best-validation weights afterwards.</summary>
public sealed record TrainingResult(
    IReadOnlyList<EpochMetrics> Curve,
    int BestEpoch,
    double BestValAccuracy,
    bool StoppedByUser,
    bool EarlyStopped,
    int Steps,
    double Seconds,
    double ImagesPerSecond,
    double LoaderWaitFraction);

/// <summary>
/// The training loop: one dispose scope per batch, penalties as gradient terms, validation every epoch,
/// best-validation weights kept, cancellation checked at every batch, throttled progress.
/// Blocks with no trainable parameter are frozen: no gradients and BatchNorm statistics held (eval mode).
/// </summary>
public static class Trainer
{
    private static readonly TimeSpan s_progressInterval = TimeSpan.FromMilliseconds(250);

    public static TrainingResult Run(
        BlockModel model,
        IReadOnlyList<ParamGroupPlan> groups,
        DataSplits data,
        ImageTransform transform,
        TrainerSettings settings,
        Device device,
        RunLabel label,
        IProgress<TrainingProgress>? progress = null,
        RunControl? control = null,
        CancellationToken cancellationToken = default)
    {
        if (data.Train.Count == 0)
            throw new BadInputException("The training set is empty.");
        torch.manual_seed(settings.Seed);
        var trainable = new HashSet<IntPtr>(groups.SelectMany(g => g.Parameters).Select(p => p.Parameter.Handle));
        foreach (var (_, parameter) in model.named_parameters())
            parameter.requires_grad = trainable.Contains(parameter.Handle);
        var frozen = model.Blocks.Where(b => !model.ParametersOf(b).Any(p => trainable.Contains(p.Parameter.Handle)))
            .Select(b => b.Name).ToHashSet();

        var arithmetic = settings.Arithmetic ?? Arithmetic.DefaultFor(device);
        // Before the optimiser exists, so its momentum buffers take the weights' memory format.
        using var layout = arithmetic.Apply(model, device);
        using var penalties = new WeightPenalties(groups);
        using var optimizer = CreateOptimizer(groups, settings);
        var groupLrs = groups.Select(g => g.LearningRate).ToArray();
        var loader = new BatchLoader(data.Train, transform, settings.BatchSize, device, train: true, settings.Seed,
            dropLast: data.Train.Count >= 2 * settings.BatchSize, withReplacement: settings.SampleWithReplacement);
        int perEpoch = loader.BatchesPerEpoch;
        int totalSteps = settings.TotalSteps(perEpoch);
        int epochs = settings.TotalEpochs(perEpoch);
        var schedule = settings.Schedule ?? new Schedule();
        var mixRng = new Random(unchecked(settings.Seed * 48_271 + 11));

        var curve = new List<EpochMetrics>();
        Dictionary<string, Tensor>? best = null;
        double bestVal = double.NegativeInfinity;
        int bestEpoch = 0, step = 0, sinceBest = 0, images = 0;
        bool stopped = false, earlyStopped = false;
        var clock = Stopwatch.StartNew();
        double trainSeconds = 0;
        var lastReport = TimeSpan.Zero;
        try
        {
            for (int epoch = 1; epoch <= epochs && !stopped && !earlyStopped; epoch++)
            {
                SetTrainMode(model, frozen);
                var epochClock = Stopwatch.StartNew();
                // Loss and hit counts stay on the device; they are read only for a progress record or at the epoch's end.
                using var ceSum = new DeviceSum();
                using var bssSum = new DeviceSum();
                using var correct = new DeviceSum();
                int seen = 0;
                foreach (var batch in loader.Epoch(epoch, cancellationToken))
                {
                    using var _ = batch;
                    cancellationToken.ThrowIfCancellationRequested();
                    var factor = schedule.Factor(step, totalSteps);
                    for (int g = 0; g < groups.Count; g++)
                        optimizer.Groups[g].LearningRate = groupLrs[g] * factor;

                    var stepClock = Stopwatch.StartNew();
                    using (var scope = torch.NewDisposeScope())
                    {
                        optimizer.ClearGradients();
                        var (loss, ce, bss, hits) = Forward(model, batch, settings, arithmetic, device, mixRng);
                        loss.backward();
                        penalties.AddGradients();
                        optimizer.Step();
                        using var count = batch.Count.ToScalar(); // explicit and disposed: see WeightPenalties on TorchSharp's temporary Scalars
                        ceSum.Add(ce.mul(count));
                        if (bss is not null)
                            bssSum.Add(bss.mul(count));
                        correct.Add(hits);
                    }
                    trainSeconds += stepClock.Elapsed.TotalSeconds;
                    seen += batch.Count;
                    images += batch.Count;
                    step++;

                    if (progress is not null && clock.Elapsed - lastReport >= s_progressInterval && step < totalSteps)
                    {
                        lastReport = clock.Elapsed;
                        double ceMean = ceSum.Value / seen;
                        progress.Report(Record(label, epoch, epochs, step, totalSteps, ceMean, Parts(ceMean, bssSum.Value / seen, null),
                            correct.Value / seen, null, groupLrs[^1] * factor, images / Math.Max(1e-9, trainSeconds), clock.Elapsed, false));
                    }
                    if (step >= totalSteps)
                        break;
                    if (control?.StopRequested == true)
                    {
                        stopped = true;
                        break;
                    }
                }
                if (seen == 0)
                    break;

                var val = data.Val.Count > 0 ? Evaluation.Run(model, data.Val, transform, device, arithmetic: arithmetic) : null;
                var (l2, l2sp) = penalties.Values();
                double ceEpoch = ceSum.Value / seen, bssEpoch = bssSum.Value / seen, trainAccuracy = correct.Value / seen;
                var parts = Parts(ceEpoch, bssEpoch, (l2, l2sp));
                double valAccuracy = val?.Accuracy ?? trainAccuracy;
                var metrics = new EpochMetrics(epoch, step, ceEpoch + bssEpoch + l2 + l2sp, parts, trainAccuracy,
                    val?.Loss ?? double.NaN, valAccuracy, groupLrs[^1] * schedule.Factor(Math.Max(0, step - 1), totalSteps),
                    epochClock.Elapsed.TotalSeconds);
                curve.Add(metrics);

                // Keep the best-validation weights (ties go to the later epoch: more training, same score).
                if (valAccuracy >= bestVal)
                {
                    bestVal = valAccuracy;
                    bestEpoch = epoch;
                    sinceBest = 0;
                    DisposeAll(best);
                    best = Snapshot(model);
                }
                else if (settings.EarlyStoppingPatience is { } patience && ++sinceBest >= patience)
                {
                    earlyStopped = true;
                }
                progress?.Report(Record(label, epoch, epochs, step, totalSteps, metrics.TrainLoss, parts, metrics.TrainAccuracy,
                    val?.Accuracy, metrics.LearningRate, images / Math.Max(1e-9, trainSeconds), clock.Elapsed, true));
                if (control?.StopRequested == true)
                    stopped = true;
            }
            if (best is not null)
                Restore(model, best);
            model.eval();
            return new TrainingResult(curve, bestEpoch, double.IsNegativeInfinity(bestVal) ? 0 : bestVal, stopped, earlyStopped, step,
                clock.Elapsed.TotalSeconds, images / Math.Max(1e-9, trainSeconds),
                loader.WaitTime.TotalSeconds / Math.Max(1e-9, trainSeconds + loader.WaitTime.TotalSeconds));
        }
        finally
        {
            DisposeAll(best);
            foreach (var parameter in model.parameters())
                parameter.requires_grad = true;
        }
    }

    private static (Tensor Loss, Tensor Ce, Tensor? Bss, Tensor Hits) Forward(BlockModel model, Batch batch, TrainerSettings settings,
        Arithmetic arithmetic, Device device, Random rng)
    {
        var x = arithmetic.Input(batch.Images);
        var y = batch.Labels;
        Tensor? yMix = null;
        double lambda = 1;
        if (settings.MixupAlpha > 0 && batch.Count > 1)
        {
            lambda = Sampling.Beta(rng, settings.MixupAlpha);
            var perm = torch.tensor(Enumerable.Range(0, batch.Count).OrderBy(_ => rng.Next()).Select(i => (long)i).ToArray()).to(x.device);
            x = x.mul(lambda).add_(x.index_select(0, perm), alpha: 1 - lambda);
            yMix = y.index_select(0, perm);
        }
        Tensor features, logits, ce;
        // Autocast covers the forward pass and the loss, as torch.autocast would; BSS's SVD and backward run outside it.
        using (arithmetic.Forward(device))
        {
            features = model.Features(x);
            logits = model.Classify(features);
            ce = nn.functional.cross_entropy(logits, y, label_smoothing: settings.LabelSmoothing);
            if (yMix is not null)
                ce = ce.mul(lambda).add_(nn.functional.cross_entropy(logits, yMix, label_smoothing: settings.LabelSmoothing), alpha: 1 - lambda);
        }
        var loss = ce;
        Tensor? bss = null;
        if (settings.BssEta > 0)
        {
            bss = BatchSpectralShrinkage.Penalty(features.to(ScalarType.Float32), settings.BssK, settings.BssEta);
            loss = ce + bss;
        }
        var hits = logits.argmax(1).eq(y).sum();
        return (loss, ce, bss, hits);
    }

    private static Dictionary<string, double> Parts(double ce, double bss, (double L2, double L2SP)? penalties)
    {
        var parts = new Dictionary<string, double> { ["ce"] = ce };
        if (bss > 0)
            parts["bss"] = bss;
        if (penalties is { } p)
        {
            if (p.L2 > 0)
                parts["l2"] = p.L2;
            if (p.L2SP > 0)
                parts["l2sp"] = p.L2SP;
        }
        return parts;
    }

    private static TrainingProgress Record(RunLabel label, int epoch, int epochs, int step, int totalSteps, double loss,
        IReadOnlyDictionary<string, double> parts, double? trainAccuracy, double? valAccuracy, double lr, double imagesPerSecond,
        TimeSpan elapsed, bool epochEnd)
    {
        double? eta = step > 0 ? elapsed.TotalSeconds / step * (totalSteps - step) : null;
        return new TrainingProgress(label.Arm, label.Seed, label.Stage, epoch, epochs, step, totalSteps, loss, parts, trainAccuracy,
            valAccuracy, lr, imagesPerSecond, elapsed.TotalSeconds, eta, epochEnd);
    }

    /// <summary>Training mode everywhere except frozen blocks, whose BatchNorm statistics must not move.</summary>
    public static void SetTrainMode(BlockModel model, IReadOnlySet<string> frozenBlocks)
    {
        model.train();
        if (frozenBlocks.Count == 0)
            return;
        foreach (var (name, module) in model.named_modules())
        {
            if (name.Length > 0 && !name.Contains('.') && frozenBlocks.Contains(model.BlockOf(name + ".").Name))
                module.eval();
        }
    }

    internal static GroupOptimizer CreateOptimizer(IReadOnlyList<ParamGroupPlan> groups, TrainerSettings settings) =>
        GroupOptimizer.Create(settings.Optimizer, groups.Select(g => new OptimizerGroup(g.Name, [.. g.Parameters.Select(p => p.Parameter)], g.LearningRate)),
            settings.Momentum, settings.Nesterov);

    /// <summary>A CPU copy of every parameter and buffer.</summary>
    internal static Dictionary<string, Tensor> Snapshot(BlockModel model)
    {
        using var _ = torch.no_grad();
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone().DetachFromDisposeScope());
    }

    internal static void Restore(BlockModel model, Dictionary<string, Tensor> snapshot)
    {
        using var _ = torch.no_grad();
        foreach (var (key, value) in model.state_dict())
            value.copy_(snapshot[key]);
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null)
            return;
        foreach (var tensor in tensors.Values)
            tensor.Dispose();
    }
}

/// <summary>
/// A running sum kept on the training device (float64), so adding a step's loss or hit count costs no host sync;
/// <see cref="Value"/> syncs once, when a progress record or the epoch's metrics need it.
/// </summary>
internal sealed class DeviceSum : IDisposable
{
    private Tensor? _sum;

    /// <summary>Adds a scalar tensor (any dtype, no gradient kept). Safe inside a dispose scope: the sum outlives it.</summary>
    public void Add(Tensor value)
    {
        using var _ = torch.no_grad();
        var next = _sum is null ? value.detach().to(ScalarType.Float64) : _sum.add(value.detach(), Scalars.One);
        next.DetachFromDisposeScope();
        _sum?.Dispose();
        _sum = next;
    }

    /// <summary>The sum so far (0 before anything was added); one host sync.</summary>
    public double Value => _sum is null ? 0 : _sum.item<double>();

    public void Dispose()
    {
        _sum?.Dispose();
        _sum = null;
    }
}

/// <summary>Small random-variate helpers driven by a seeded <see cref="Random"/> (deterministic).</summary>
public static class Sampling
{
    /// <summary>Beta(alpha, alpha) via two Gamma variates.</summary>
    public static double Beta(Random rng, double alpha)
    {
        double a = Gamma(rng, alpha), b = Gamma(rng, alpha);
        return a + b == 0 ? 0.5 : a / (a + b);
    }

    /// <summary>Gamma(shape, 1) by Marsaglia and Tsang (boosted for shape &lt; 1).</summary>
    public static double Gamma(Random rng, double shape)
    {
        if (shape < 1)
            return Gamma(rng, shape + 1) * Math.Pow(rng.NextDouble(), 1 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(rng);
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            double u = rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v)))
                return d * v;
        }
    }

    /// <summary>Standard normal (Box-Muller).</summary>
    public static double Normal(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
