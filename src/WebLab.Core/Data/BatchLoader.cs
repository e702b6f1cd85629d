using System.Diagnostics;
using System.Threading.Channels;
using TorchSharp;
using WebLab.Runtime;
using static TorchSharp.torch;

namespace WebLab.Data;

/// <summary>One batch on the training device. The consumer disposes it.</summary>
public sealed class Batch(Tensor images, Tensor labels, int[] indices) : IDisposable
{
    public Tensor Images { get; } = images;

    public Tensor Labels { get; } = labels;

    /// <summary>Positions of these images in the source set.</summary>
    public int[] Indices { get; } = indices;

    public int Count => Indices.Length;

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Produces batches from a cached image set on a background thread, a few ahead of the trainer, and
/// measures how long the trainer waited. Shuffling and augmentation are seeded per epoch, so the same
/// seed yields the same batches in the same order (both arms of an experiment see identical data).
/// </summary>
/// <remarks>
/// With <c>withReplacement</c> a training set smaller than a batch is sampled as BiT's PyTorch loader samples it: each epoch
/// is one full batch of images drawn at random with replacement (torch's RandomSampler(replacement=True, num_samples=batch)),
/// so every update averages over a full batch instead of the set once. Larger sets are shuffled without replacement as usual.
/// </remarks>
public sealed class BatchLoader
{
    private readonly LabeledImages _data;
    private readonly ImageTransform _transform;
    private readonly Device _device;
    private long _waitTicks;

    public BatchLoader(LabeledImages data, ImageTransform transform, int batchSize, Device device, bool train, int seed,
        int prefetch = 3, bool dropLast = false, bool withReplacement = false)
    {
        if (batchSize < 1)
            throw new BadInputException($"Batch size must be at least 1 (got {batchSize}).");
        _data = data;
        _transform = transform;
        _device = device;
        BatchSize = batchSize;
        Train = train;
        Seed = seed;
        Prefetch = Math.Max(1, prefetch);
        DropLast = dropLast && data.Count > batchSize;
        WithReplacement = withReplacement && train && data.Count < batchSize;
    }

    public int BatchSize { get; }

    public bool Train { get; }

    public int Seed { get; }

    public int Prefetch { get; }

    public bool DropLast { get; }

    /// <summary>True when each epoch is one batch drawn with replacement (asked for, training, and the set is smaller than a batch).</summary>
    public bool WithReplacement { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => WithReplacement ? 1 : DropLast ? _data.Count / BatchSize : (_data.Count + BatchSize - 1) / BatchSize;

    /// <summary>Total time the consumer spent waiting for a batch that was not ready yet.</summary>
    public TimeSpan WaitTime => TimeSpan.FromTicks(Interlocked.Read(ref _waitTicks));

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the images (with replacement: the batch's draws).</summary>
    public int[] Order(int epoch)
    {
        var rng = new Random(unchecked(Seed * 7_368_787 + epoch * 104_729 + 17));
        if (WithReplacement)
            return Enumerable.Range(0, BatchSize).Select(_ => rng.Next(_data.Count)).ToArray();
        var order = Enumerable.Range(0, _data.Count).ToArray();
        if (Train)
            rng.Shuffle(order);
        return order;
    }

    /// <summary>Yields the batches of one epoch; production runs ahead on a background thread.</summary>
    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellationToken = default)
    {
        var order = Order(epoch);
        int batches = BatchesPerEpoch;
        var channel = Channel.CreateBounded<Batch>(new BoundedChannelOptions(Prefetch) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Factory.StartNew(() => Produce(order, batches, epoch, channel.Writer, stop.Token),
            stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            for (int i = 0; i < batches; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!channel.Reader.TryRead(out var batch))
                {
                    var started = Stopwatch.GetTimestamp();
                    if (!channel.Reader.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult()
                        || !channel.Reader.TryRead(out batch))
                        break;
                    Interlocked.Add(ref _waitTicks, Stopwatch.GetElapsedTime(started).Ticks);
                }
                yield return batch;
            }
        }
        finally
        {
            stop.Cancel();
            try
            {
                producer.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
            }
            while (channel.Reader.TryRead(out var left))
                left.Dispose();
        }
    }

    private void Produce(int[] order, int batches, int epoch, ChannelWriter<Batch> writer, CancellationToken token)
    {
        var rng = Train ? new Random(unchecked(Seed * 31_337 + epoch * 7_919 + 5)) : null;
        try
        {
            // Serial tensor work here: a second OpenMP team would slow the trainer's (see HelperThreads).
            HelperThreads.RunSerially();
            for (int i = 0; i < batches && !token.IsCancellationRequested; i++)
            {
                var indices = order.AsSpan(i * BatchSize, Math.Min(BatchSize, order.Length - i * BatchSize)).ToArray();
                var batch = Make(indices, rng);
                if (!writer.TryWrite(batch))
                {
                    try
                    {
                        writer.WriteAsync(batch, token).AsTask().GetAwaiter().GetResult();
                    }
                    catch
                    {
                        batch.Dispose();
                        throw;
                    }
                }
            }
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
            if (e is not OperationCanceledException)
                throw;
        }
    }

    /// <summary>Builds one batch (on the calling thread) for the given image positions.</summary>
    public Batch Make(int[] indices, Random? rng)
    {
        using var scope = torch.NewDisposeScope();
        var tiles = _data.Read(indices);
        var x = _transform.Apply(tiles, rng);
        var y = torch.tensor(indices.Select(i => (long)_data.Labels[i]).ToArray(), ScalarType.Int64);
        if (_device.type != DeviceType.CPU)
        {
            x = x.pin_memory().to(_device, non_blocking: true);
            y = y.pin_memory().to(_device, non_blocking: true);
        }
        x.DetachFromDisposeScope();
        y.DetachFromDisposeScope();
        return new Batch(x, y, indices);
    }
}
