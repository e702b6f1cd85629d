using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using WebLab.Data.Tiles;
using static TorchSharp.torch;

namespace WebLab.Data;

/// <summary>
/// A labelled image set: a view of positions in a <see cref="TileStore"/> (uint8 tiles [C, S, S]), labels 0..K-1, the
/// class names, and an id per image (file path or "split#index") so results can point back to it. Pixels are read a
/// batch at a time (<see cref="Read"/>); selecting images or classes makes a new view of the same store, not a copy.
/// </summary>
public sealed class LabeledImages : IDisposable
{
    private readonly TileStore _store;
    private readonly int[] _positions;

    /// <summary>Takes ownership of <paramref name="images"/> (uint8, [N, C, H, W], square).</summary>
    public LabeledImages(Tensor images, int[] labels, IReadOnlyList<string> classNames, IReadOnlyList<string> itemIds)
        : this(NewStore(images), Enumerable.Range(0, (int)images.shape[0]).ToArray(), labels, classNames, itemIds)
    {
    }

    /// <summary>
    /// Takes one reference of <paramref name="store"/> (dispose of yours separately, or pass ownership with
    /// a store you no longer use): image i is the tile at <paramref name="positions"/>[i].
    /// </summary>
    public LabeledImages(TileStore store, int[] positions, int[] labels, IReadOnlyList<string> classNames, IReadOnlyList<string> itemIds)
    {
        if (positions.Length != labels.Length || labels.Length != itemIds.Count)
            throw new ArgumentException(
                $"positions ({positions.Length}), labels ({labels.Length}) and ids ({itemIds.Count}) must have the same count");
        foreach (var label in labels)
        {
            if (label < 0 || label >= classNames.Count)
                throw new ArgumentException($"label {label} is outside 0..{classNames.Count - 1}", nameof(labels));
        }
        foreach (var position in positions)
        {
            if ((uint)position >= (uint)store.Count)
                throw new ArgumentException($"position {position} is outside the store's 0..{store.Count - 1}", nameof(positions));
        }
        _store = store;
        _positions = positions;
        Labels = labels;
        ClassNames = classNames;
        ItemIds = itemIds;
    }

    private static TensorTiles NewStore(Tensor images)
    {
        if (images.dtype != ScalarType.Byte || images.dim() != 4)
            throw new ArgumentException("images must be a uint8 tensor of shape [N, C, H, W]", nameof(images));
        return new TensorTiles(images);
    }

    /// <summary>Class index of each image.</summary>
    public int[] Labels { get; }

    /// <summary>Name of each class, by index.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Where each image came from (relative file path, or "train#123" for array formats).</summary>
    public IReadOnlyList<string> ItemIds { get; }

    public int Count => Labels.Length;

    public int Channels => _store.Channels;

    /// <summary>Tile side in pixels (tiles are square).</summary>
    public int Size => _store.Size;

    /// <summary>uint8 tiles [n, C, S, S] (CPU, new tensor) of the images at <paramref name="indices"/>, in that order.</summary>
    public Tensor Read(ReadOnlySpan<int> indices)
    {
        var positions = new int[indices.Length];
        for (int i = 0; i < positions.Length; i++)
            positions[i] = _positions[indices[i]];
        return _store.Read(positions);
    }

    /// <summary>uint8 tiles [count, C, S, S] of images start..start+count-1.</summary>
    public Tensor ReadRange(int start, int count) => _store.Read(_positions.AsSpan(start, count));

    /// <summary>Number of images in each class, by class index.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassNames.Count];
        foreach (var label in Labels)
            counts[label]++;
        return counts;
    }

    /// <summary>A view of the images at <paramref name="indices"/> (same classes).</summary>
    public LabeledImages Select(IReadOnlyList<int> indices) =>
        new(_store.Share(), indices.Select(i => _positions[i]).ToArray(), indices.Select(i => Labels[i]).ToArray(), ClassNames,
            indices.Select(i => ItemIds[i]).ToArray());

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
        var keep = Enumerable.Range(0, Count).Where(i => map.ContainsKey(Labels[i])).ToArray();
        return new LabeledImages(_store.Share(), keep.Select(i => _positions[i]).ToArray(), keep.Select(i => map[Labels[i]]).ToArray(),
            classes.Select(c => ClassNames[c]).ToArray(), keep.Select(i => ItemIds[i]).ToArray());
    }

    /// <summary>Images read per chunk when a whole set is scanned (statistics, evaluation caches): bounded memory at any size.</summary>
    private const int ScanChunk = 512;

    /// <summary>Per-channel mean and standard deviation of the pixels scaled to [0, 1], read in chunks.</summary>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        var sum = new double[Channels];
        var squares = new double[Channels];
        for (int start = 0; start < Count; start += ScanChunk)
        {
            using var scope = torch.NewDisposeScope();
            var x = ReadRange(start, Math.Min(ScanChunk, Count - start)).to(ScalarType.Float64).div_(255.0)
                .transpose(0, 1).reshape(Channels, -1);
            var chunkSum = x.sum(1).data<double>().ToArray();
            var chunkSquares = x.square().sum(1).data<double>().ToArray();
            for (int c = 0; c < Channels; c++)
            {
                sum[c] += chunkSum[c];
                squares[c] += chunkSquares[c];
            }
        }
        double n = (double)Count * Size * Size;
        var mean = sum.Select(s => (float)(s / n)).ToArray();
        // Unbiased, as torch.std.
        var std = sum.Select((s, c) => (float)Math.Sqrt(Math.Max(0, (squares[c] - s * s / n) / (n - 1)))).ToArray();
        return (mean, std.Select(s => Math.Max(s, 1e-3f)).ToArray());
    }

    /// <summary>
    /// Feeds the set's content into <paramref name="hash"/>: its count, class names, labels and every image's pixels in order
    /// (read in chunks), and with <paramref name="ids"/> the item ids too. Content, not where it came from: the same images
    /// loaded from a renamed folder feed the same bytes; one edited image does not.
    /// </summary>
    internal void AppendContent(IncrementalHash hash, bool ids)
    {
        var number = new byte[4];
        void Int(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(number, value);
            hash.AppendData(number);
        }
        void Text(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Int(bytes.Length);
            hash.AppendData(bytes);
        }
        Int(Count);
        Int(ClassNames.Count);
        foreach (var name in ClassNames)
            Text(name);
        foreach (var label in Labels)
            Int(label);
        for (int start = 0; start < Count; start += ScanChunk)
            _store.AppendContent(hash, _positions.AsSpan(start, Math.Min(ScanChunk, Count - start)));
        Int(ids ? ItemIds.Count : -1);
        if (ids)
        {
            foreach (var id in ItemIds)
                Text(id);
        }
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
                var parts = new List<Tensor>();
                for (int start = 0; start < Count; start += ScanChunk)
                    parts.Add(transform.Apply(ReadRange(start, Math.Min(ScanChunk, Count - start)), rng: null));
                _evaluationInputs = torch.cat(parts, 0).DetachFromDisposeScope();
            }
            _evaluationTransform = transform;
            return _evaluationInputs;
        }
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return; // the store counts each view once
        lock (_evaluationLock)
        {
            _evaluationInputs?.Dispose();
            _evaluationInputs = null;
        }
        _store.Dispose();
    }
}
