using TorchSharp;
using WebLab.Data;
using static TorchSharp.torch;

namespace WebLab.Tests.Data;

public class BatchLoaderTests
{
    private static LabeledImages Set(int n)
    {
        var images = torch.arange(n, ScalarType.Int64).to(ScalarType.Byte).reshape(n, 1, 1, 1).expand(n, 1, 4, 4).contiguous();
        return new LabeledImages(images, Enumerable.Range(0, n).Select(i => i % 3).ToArray(), ["a", "b", "c"],
            Enumerable.Range(0, n).Select(i => i.ToString()).ToArray());
    }

    [Fact]
    public void Epoch_VisitsEveryImageOnce_InASeededOrder()
    {
        using var set = Set(50);
        var transform = new ImageTransform(4, 1, [0], [1], Augmentation.Off);
        var loader = new BatchLoader(set, transform, 8, torch.CPU, train: true, seed: 5);
        var seen = new List<int>();
        foreach (var batch in loader.Epoch(1))
        {
            using (batch)
            {
                // Pixels encode the image index: the batch holds exactly the images it says it holds.
                var values = (batch.Images[.., 0, 0, 0] * 255).round().to(ScalarType.Int32).data<int>().ToArray();
                Assert.Equal(batch.Indices, values);
                Assert.Equal(batch.Indices.Select(i => (long)(i % 3)), batch.Labels.data<long>().ToArray());
                seen.AddRange(batch.Indices);
            }
        }
        Assert.Equal(Enumerable.Range(0, 50), seen.Order());
        Assert.Equal(loader.Order(1), seen);
        Assert.Equal(new BatchLoader(set, transform, 8, torch.CPU, true, 5).Order(1), loader.Order(1));
        Assert.NotEqual(loader.Order(1), loader.Order(2));
    }

    [Fact]
    public void Epoch_StoppedEarly_DisposesPrefetchedBatchesAndStopsProducer()
    {
        using var set = Set(64);
        var loader = new BatchLoader(set, new ImageTransform(4, 1, [0], [1], Augmentation.Off), 4, torch.CPU, train: false, seed: 0);
        foreach (var batch in loader.Epoch(0))
        {
            batch.Dispose();
            break;
        }
        // A second full pass still works (nothing left running from the first).
        Assert.Equal(16, loader.Epoch(0).Select(b => { b.Dispose(); return 1; }).Sum());
    }

    [Fact]
    public void Epoch_Cancelled_Throws()
    {
        using var set = Set(64);
        using var cts = new CancellationTokenSource();
        var loader = new BatchLoader(set, new ImageTransform(4, 1, [0], [1], Augmentation.Off), 4, torch.CPU, train: false, seed: 0);
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var batch in loader.Epoch(0, cts.Token))
            {
                batch.Dispose();
                cts.Cancel();
            }
        });
    }

    [Fact]
    public void WithReplacement_ASetSmallerThanABatch_FillsEveryBatchBySeededDraws()
    {
        using var set = Set(5);
        var transform = new ImageTransform(4, 1, [0], [1], Augmentation.Off);
        var loader = new BatchLoader(set, transform, 16, torch.CPU, train: true, seed: 3, withReplacement: true);
        Assert.True(loader.WithReplacement);
        Assert.Equal(1, loader.BatchesPerEpoch);
        var batch = Assert.Single(loader.Epoch(1));
        using (batch)
        {
            // A full batch of 16 from 5 images: draws repeat, every draw is a real image, and the pixels match the draws.
            Assert.Equal(16, batch.Count);
            Assert.All(batch.Indices, i => Assert.InRange(i, 0, 4));
            Assert.True(batch.Indices.Distinct().Count() < 16);
            var values = (batch.Images[.., 0, 0, 0] * 255).round().to(ScalarType.Int32).data<int>().ToArray();
            Assert.Equal(batch.Indices, values);
        }
        Assert.Equal(loader.Order(1), new BatchLoader(set, transform, 16, torch.CPU, true, 3, withReplacement: true).Order(1));
        Assert.NotEqual(loader.Order(1), loader.Order(2));
        // Over many epochs every image is drawn (uniform draws, not one image repeated).
        Assert.Equal([0, 1, 2, 3, 4], Enumerable.Range(1, 20).SelectMany(loader.Order).Distinct().Order());
    }

    [Fact]
    public void WithReplacement_LeavesSetsOfAtLeastABatch_AndEvaluation_ShuffledOnce()
    {
        using var set = Set(20);
        var transform = new ImageTransform(4, 1, [0], [1], Augmentation.Off);
        var large = new BatchLoader(set, transform, 8, torch.CPU, train: true, seed: 3, withReplacement: true);
        Assert.False(large.WithReplacement);
        Assert.Equal(Enumerable.Range(0, 20), large.Order(1).Order());
        var eval = new BatchLoader(set, transform, 32, torch.CPU, train: false, seed: 3, withReplacement: true);
        Assert.False(eval.WithReplacement);
        Assert.Equal(Enumerable.Range(0, 20), eval.Order(1));
        // Without the option a small set is one short batch per epoch (each image once).
        var plain = new BatchLoader(set, transform, 32, torch.CPU, train: true, seed: 3);
        Assert.Equal((1, 20), (plain.BatchesPerEpoch, plain.Order(1).Length));
    }
}
