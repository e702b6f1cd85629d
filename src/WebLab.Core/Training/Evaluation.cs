using TorchSharp;
using WebLab.Data;
using WebLab.Models;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>
/// Accuracy, loss and confusion on an image set. <see cref="Confusion"/>[true][predicted] counts images;
/// <see cref="Cells"/> lists which images (by position in the set) landed in each off-diagonal cell.
/// </summary>
public sealed record Evaluation(
    int Count,
    double Accuracy,
    double Loss,
    int[][] Confusion,
    double[] PerClassAccuracy,
    int[] Predictions,
    IReadOnlyDictionary<string, int[]> Cells)
{
    /// <summary>Test error = 1 - accuracy.</summary>
    public double Error => 1 - Accuracy;

    /// <summary>Runs <paramref name="model"/> over <paramref name="data"/> (no gradients). Leaves the model in eval mode.</summary>
    /// <param name="cacheBytes">Largest set kept transformed between evaluations (<see cref="LabeledImages.EvaluationInputs"/>); 0 never keeps one.</param>
    /// <param name="arithmetic">Autocast and input memory format for the forward passes (null: float32, as stored). The model's
    /// own weights are left as they are: the trainer puts them in channels-last format for its whole run.</param>
    public static Evaluation Run(BlockModel model, LabeledImages data, ImageTransform transform, Device device, int batchSize = 256,
        long cacheBytes = LabeledImages.EvaluationCacheBytes, Arithmetic? arithmetic = null)
    {
        arithmetic ??= Arithmetic.Exact;
        int classes = data.ClassNames.Count;
        var predictions = new int[data.Count];
        double lossSum = 0;
        model.eval();
        // Small sets (every validation set of a small target) are transformed once and kept: validation after each epoch
        // then costs only the forward passes. Computed before inference mode, so the cache is an ordinary tensor.
        var cached = data.EvaluationInputs(transform, cacheBytes);
        // Inference mode, not just no_grad: nothing computed here is ever differentiated, and libtorch then skips
        // version counters and view tracking on every intermediate.
        using (torch.inference_mode())
        {
            if (cached is not null)
            {
                using var labels = torch.tensor(data.Labels.Select(l => (long)l).ToArray(), ScalarType.Int64);
                for (int start = 0; start < data.Count; start += batchSize)
                {
                    using var scope = torch.NewDisposeScope();
                    int count = Math.Min(batchSize, data.Count - start);
                    var x = cached.narrow(0, start, count);
                    var y = labels.narrow(0, start, count);
                    if (device.type != DeviceType.CPU)
                        (x, y) = (x.to(device), y.to(device));
                    var logits = Forward(model, x, device, arithmetic);
                    lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                    var predicted = logits.argmax(1).cpu().data<long>().ToArray();
                    Array.Copy(predicted.Select(p => (int)p).ToArray(), 0, predictions, start, count);
                }
            }
            else
            {
                var loader = new BatchLoader(data, transform, batchSize, device, train: false, seed: 0);
                foreach (var batch in loader.Epoch(0))
                {
                    using (batch)
                    using (var scope = torch.NewDisposeScope())
                    {
                        var logits = Forward(model, batch.Images, device, arithmetic);
                        lossSum += nn.functional.cross_entropy(logits, batch.Labels, reduction: nn.Reduction.Sum).item<float>();
                        var predicted = logits.argmax(1).cpu().data<long>().ToArray();
                        for (int i = 0; i < predicted.Length; i++)
                            predictions[batch.Indices[i]] = (int)predicted[i];
                    }
                }
            }
        }
        return FromPredictions(data.Labels, predictions, classes, data.Count == 0 ? 0 : lossSum / data.Count);
    }

    /// <summary>Logits in float32 (the loss is summed in float32 whatever the forward pass ran in).</summary>
    private static Tensor Forward(BlockModel model, Tensor images, Device device, Arithmetic arithmetic)
    {
        if (arithmetic.IsExact)
            return model.call(images);
        using (arithmetic.Forward(device))
            return model.call(arithmetic.Input(images)).to(ScalarType.Float32);
    }

    /// <summary>Builds the metrics from labels and predictions.</summary>
    public static Evaluation FromPredictions(IReadOnlyList<int> labels, int[] predictions, int classes, double loss)
    {
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        var cells = new Dictionary<(int, int), List<int>>();
        int correct = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            int truth = labels[i], predicted = predictions[i];
            if (predicted < 0 || predicted >= classes)
                throw new ArgumentException($"prediction {predicted} is outside {classes} classes");
            confusion[truth][predicted]++;
            if (truth == predicted)
                correct++;
            else
            {
                if (!cells.TryGetValue((truth, predicted), out var list))
                    cells[(truth, predicted)] = list = [];
                list.Add(i);
            }
        }
        var perClass = confusion.Select((row, c) => row.Sum() == 0 ? double.NaN : (double)row[c] / row.Sum()).ToArray();
        return new Evaluation(labels.Count, labels.Count == 0 ? 0 : (double)correct / labels.Count, loss, confusion, perClass,
            predictions, cells.ToDictionary(kv => $"{kv.Key.Item1}->{kv.Key.Item2}", kv => kv.Value.ToArray()));
    }
}
