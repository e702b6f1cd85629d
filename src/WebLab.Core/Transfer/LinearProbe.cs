using TorchSharp;
using WebLab.Data;
using WebLab.Models;
using WebLab.Training;
using static TorchSharp.torch;

namespace WebLab.Transfer;

/// <summary>A linear classifier on frozen features, in the original feature space (standardisation folded in).</summary>
public sealed record ProbeFit(float[] Weight, float[] Bias, int Classes, int Width)
{
    /// <summary>Accuracy on features [N, Width].</summary>
    public double Accuracy(Tensor features, IReadOnlyList<int> labels)
    {
        using var scope = torch.NewDisposeScope();
        var logits = Logits(features);
        var predicted = logits.argmax(1).data<long>().ToArray();
        return labels.Count == 0 ? 0 : predicted.Where((p, i) => p == labels[i]).Count() / (double)labels.Count;
    }

    /// <summary>Logits for features [N, Width].</summary>
    public Tensor Logits(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.tensor(Weight, [Classes, Width]);
        var b = torch.tensor(Bias);
        return features.matmul(w.t()).add_(b).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The frozen-feature probe: pooled features from a pretrained body, and a softmax classifier fitted on them.
/// Cheap (seconds), so every experiment shows a first result while fine-tuning runs; also a transferability measure.
/// </summary>
public static class LinearProbe
{
    /// <summary>Pooled features [N, width] (CPU float32) after <paramref name="stage"/> stages (all when null).</summary>
    public static Tensor Features(BlockModel model, LabeledImages data, ImageTransform transform, Device device, int? stage = null,
        CancellationToken cancellationToken = default)
    {
        model.eval();
        var chunks = new List<Tensor>();
        var order = new int[data.Count];
        int filled = 0;
        using (torch.no_grad())
        {
            var loader = new BatchLoader(data, transform with { Augment = Augmentation.Off }, 256, device, train: false, seed: 0);
            foreach (var batch in loader.Epoch(0, cancellationToken))
            {
                using (batch)
                {
                    chunks.Add(model.Features(batch.Images, stage).cpu().DetachFromDisposeScope());
                    batch.Indices.CopyTo(order, filled);
                    filled += batch.Count;
                }
            }
        }
        using var stacked = torch.cat(chunks, 0);
        foreach (var chunk in chunks)
            chunk.Dispose();
        // Batches come in order for evaluation, but do not rely on it.
        using var index = torch.tensor(order.Select(i => (long)i).ToArray());
        var result = torch.empty_like(stacked);
        result.index_copy_(0, index, stacked);
        return result;
    }

    /// <summary>Strengths tried by <see cref="FitSelected"/>.</summary>
    public static IReadOnlyList<double> L2Grid { get; } = [1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>Fits with each L2 strength of <see cref="L2Grid"/> and keeps the best on validation (ties: the stronger).</summary>
    public static (ProbeFit Fit, double ValAccuracy, double L2) FitSelected(Tensor train, IReadOnlyList<int> trainLabels, Tensor val,
        IReadOnlyList<int> valLabels, int classes)
    {
        (ProbeFit Fit, double ValAccuracy, double L2)? best = null;
        foreach (var l2 in L2Grid)
        {
            var fit = Fit(train, trainLabels, classes, l2);
            var accuracy = fit.Accuracy(val, valLabels);
            if (best is null || accuracy >= best.Value.ValAccuracy)
                best = (fit, accuracy, l2);
        }
        return best!.Value;
    }

    /// <summary>
    /// Fits a multinomial logistic regression with an L2 penalty on standardised features (full-batch Adam),
    /// deterministic for the same inputs.
    /// </summary>
    public static ProbeFit Fit(Tensor features, IReadOnlyList<int> labels, int classes, double l2 = 1e-3, int steps = 300, double learningRate = 0.05)
    {
        if (features.shape[0] != labels.Count)
            throw new ArgumentException("one label per feature row is needed", nameof(labels));
        int width = (int)features.shape[1];
        using var scope = torch.NewDisposeScope();
        var mean = features.mean([0L], keepdim: true);
        var std = features.std(0, keepdim: true).clamp_min(1e-6);
        var x = (features - mean) / std;
        var y = torch.tensor(labels.Select(l => (long)l).ToArray());
        torch.manual_seed(0);
        var w = new TorchSharp.Modules.Parameter(torch.zeros([classes, width]));
        var b = new TorchSharp.Modules.Parameter(torch.zeros([classes]));
        using var optimizer = new AdamWOptimizer([new OptimizerGroup("probe", [w, b], learningRate)]); // Adam: the L2 term is in the loss
        using var halfL2 = (0.5 * l2).ToScalar(); // explicit and disposed: see WeightPenalties on TorchSharp's temporary Scalars
        for (int step = 0; step < steps; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            optimizer.ClearGradients();
            var loss = nn.functional.cross_entropy(x.matmul(w.t()) + b, y) + w.mul(w).sum().mul(halfL2);
            loss.backward();
            optimizer.Step();
        }
        using var _ = torch.no_grad();
        // Fold the standardisation into the weights: W (x - m)/s + b = (W/s) x + (b - W m/s).
        var folded = w / std;
        var bias = b - folded.matmul(mean.squeeze(0));
        return new ProbeFit(folded.contiguous().data<float>().ToArray(), bias.contiguous().data<float>().ToArray(), classes, width);
    }
}
