using TorchSharp;
using WebLab.Data;
using WebLab.Models;
using WebLab.Training;

namespace WebLab.Tests.Training;

[Collection(FashionMnistGroup.Name)]
public class EvaluationTests(FashionMnist fashion)
{
    [Fact]
    public void KeptInputs_GiveTheSameResultAsTransformingBatchByBatch()
    {
        using var scope = torch.NewDisposeScope();
        using var test = fashion.Dataset.Test!.SelectClasses([5, 7, 9]).Select(Enumerable.Range(0, 300).ToArray());
        torch.manual_seed(3);
        using var model = Architectures.Create(new ModelSpec("resnet8", 3, 1, 28));
        var transform = new ImageTransform(28, 1, [0.286f], [0.353f], Augmentation.Off);

        var streamed = Evaluation.Run(model, test, transform, torch.CPU, batchSize: 64, cacheBytes: 0);
        var kept = Evaluation.Run(model, test, transform, torch.CPU, batchSize: 64);
        var again = Evaluation.Run(model, test, transform, torch.CPU, batchSize: 64);

        Assert.NotNull(test.EvaluationInputs(transform));
        Assert.Null(test.EvaluationInputs(transform, maxBytes: 1000)); // too large for this limit: batch by batch
        Assert.Equal(streamed.Predictions, kept.Predictions);
        Assert.Equal(streamed.Loss, kept.Loss, 5);
        Assert.Equal(kept.Predictions, again.Predictions);
        Assert.Equal(300, kept.Count);
    }
}
