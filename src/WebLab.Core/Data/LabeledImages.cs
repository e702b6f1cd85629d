using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Data;

/// <summary>
/// A decoded image set held in memory: uint8 pixels [N, C, H, W] on the CPU, labels 0..K-1,
/// the class names, and an id per image (file path or "split#index") so results can point back to it.
/// </summary>
public sealed class LabeledImages : IDisposable
{
    private readonly Tensor _images;

    /// <summary>Takes ownership of <paramref name="images"/> (uint8, [N, C, H, W]).</summary>
    public LabeledImages(Tensor images, int[] labels, IReadOnlyList<string> classNames, IReadOnlyList<string> itemIds)
    {
        if (images.dtype != ScalarType.Byte || images.dim() != 4)
            throw new ArgumentException("images must be a uint8 tensor of shape [N, C, H, W]", nameof(images));
        if (images.shape[0] != labels.Length || labels.Length != itemIds.Count)
            throw new ArgumentException(
                $"images ({images.shape[0]}), labels ({labels.Length}) and ids ({itemIds.Count}) must have the same count");
        foreach (var label in labels)
        {
            if (label < 0 || label >= classNames.Count)
                throw new ArgumentException($"label {label} is outside 0..{classNames.Count - 1}", nameof(labels));
        }
        _images = images.DetachFromDisposeScope();
        Labels = labels;
        ClassNames = classNames;
        ItemIds = itemIds;
    }

    /// <summary>uint8 pixels [N, C, H, W] (CPU). Owned by this object.</summary>
    public Tensor Images => _images;

    /// <summary>Class index of each image.</summary>
    public int[] Labels { get; }

    /// <summary>Name of each class, by index.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Where each image came from (relative file path, or "train#123" for array formats).</summary>
    public IReadOnlyList<string> ItemIds { get; }

    public int Count => Labels.Length;

    public int Channels => (int)_images.shape[1];

    public int Height => (int)_images.shape[2];

    public int Width => (int)_images.shape[3];

    /// <summary>Number of images in each class, by class index.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassNames.Count];
        foreach (var label in Labels)
            counts[label]++;
        return counts;
    }

    /// <summary>A new set with the images at <paramref name="indices"/> (same classes).</summary>
    public LabeledImages Select(IReadOnlyList<int> indices)
    {
        using var index = torch.tensor(indices.Select(i => (long)i).ToArray(), ScalarType.Int64);
        var images = _images.index_select(0, index);
        return new LabeledImages(images,
            indices.Select(i => Labels[i]).ToArray(),
            ClassNames,
            indices.Select(i => ItemIds[i]).ToArray());
    }

    /// <summary>
    /// Keeps only images of <paramref name="classes"/> (indices into <see cref="ClassNames"/>) and renumbers
    /// them 0..k-1 in the order given.
    /// </summary>
    public LabeledImages SelectClasses(IReadOnlyList<int> classes)
    {
        var map = new Dictionary<int, int>();
        for (int i = 0; i < classes.Count; i++)
        {
            if (classes[i] < 0 || classes[i] >= ClassNames.Count)
                throw new BadInputException(
                    $"Class {classes[i]} does not exist; this dataset has classes 0..{ClassNames.Count - 1}.");
            if (!map.TryAdd(classes[i], i))
                throw new BadInputException($"Class {classes[i]} ({ClassNames[classes[i]]}) is listed twice.");
        }
        var keep = new List<int>();
        for (int i = 0; i < Count; i++)
        {
            if (map.ContainsKey(Labels[i]))
                keep.Add(i);
        }
        using var index = torch.tensor(keep.Select(i => (long)i).ToArray(), ScalarType.Int64);
        var images = _images.index_select(0, index);
        return new LabeledImages(images,
            keep.Select(i => map[Labels[i]]).ToArray(),
            classes.Select(c => ClassNames[c]).ToArray(),
            keep.Select(i => ItemIds[i]).ToArray());
    }

    /// <summary>Per-channel mean and standard deviation of the pixels scaled to [0, 1].</summary>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        using var scope = torch.NewDisposeScope();
        var x = _images.to(ScalarType.Float32).div_(255f).transpose(0, 1).reshape(Channels, -1);
        var mean = x.mean([1L]).data<float>().ToArray();
        var std = x.std(1).data<float>().ToArray();
        return (mean, std.Select(s => Math.Max(s, 1e-3f)).ToArray());
    }

    /// <summary>Largest evaluation-input cache kept per image set (float32 after the transform).</summary>
    public const long EvaluationCacheBytes = 256L << 20;

    private readonly Lock _evaluationLock = new();
    private ImageTransform? _evaluationTransform;
    private Tensor? _evaluationInputs;

    /// <summary>
    /// Every image through the evaluation transform (deterministic: no augmentation), computed once and kept with the
    /// set, so validation after each epoch and repeated test evaluations skip decoding-to-float and normalising; null when
    /// it would exceed <paramref name="maxBytes"/> (then evaluation transforms batch by batch). Disposed with the set.
    /// </summary>
    public Tensor? EvaluationInputs(ImageTransform transform, long maxBytes = EvaluationCacheBytes)
    {
        long bytes = (long)Count * transform.Channels * transform.InputSize * transform.InputSize * sizeof(float);
        if (Count == 0 || bytes > maxBytes)
            return null;
        lock (_evaluationLock)
        {
            if (_evaluationInputs is not null && Equals(_evaluationTransform, transform))
                return _evaluationInputs;
            _evaluationInputs?.Dispose();
            using (torch.no_grad())
            using (var scope = torch.NewDisposeScope())
            {
                // In chunks: the uint8 -> float intermediates of the whole set at once would triple the peak.
                const int chunk = 1024;
                var parts = new List<Tensor>();
                for (int start = 0; start < Count; start += chunk)
                    parts.Add(transform.Apply(_images.narrow(0, start, Math.Min(chunk, Count - start)), rng: null));
                _evaluationInputs = torch.cat(parts, 0).DetachFromDisposeScope();
            }
            _evaluationTransform = transform;
            return _evaluationInputs;
        }
    }

    public void Dispose()
    {
        lock (_evaluationLock)
        {
            _evaluationInputs?.Dispose();
            _evaluationInputs = null;
        }
        _images.Dispose();
    }
}
