using TorchSharp;
using WebLab.Data;
using WebLab.Models;
using WebLab.Training;
using WebLab.Transfer;
using static TorchSharp.torch;

namespace WebLab.Tests.Training;

public class TrainerTests
{
    [Fact]
    public void BitStyleDials_OnASetSmallerThanABatch_TrainWithAZeroHeadAndTheirSchedule()
    {
        torch.manual_seed(0);
        var spec = new ModelSpec("resnet8", 3, 1, 28);
        using var source = Architectures.Create(spec with { NumClasses = 5 });
        // Five training images, batches of 16 drawn with replacement; staircase with warmup; a floor under the last step.
        var dials = new TransferDials(HeadLearningRate: 0.01, LayerDecay: 1, L2: 0, ZeroHead: true, SampleWithReplacement: true, BatchSize: 16,
            Steps: 10, Schedule: ScheduleKind.Staircase, WarmupFraction: 0.2, DecayMilestones: [0.4, 0.6, 0.8], LearningRateFloor: 0.005, Augment: false);
        var plan = TransferPlan.ForTransfer(source.Blocks, false, dials);
        using var model = TransferPlan.Build(spec, plan, source, seed: 1);
        int cache = ImageTransform.CacheSizeFor(28);
        using var data = new DataSplits(Images(5, cache), Images(6, cache), Images(0, cache));
        var transform = new ImageTransform(28, 1, [0.5f], [0.25f], Augmentation.Off);

        var result = Trainer.Run(model, TransferPlan.Groups(model, plan), data, transform, dials.TrainerSettings(1, 1, 0), torch.CPU,
            new RunLabel("transfer", 1, "test"));

        // One full batch per epoch, so ten epochs for ten updates; the rates BiT's code gives at each last step (base 0.01).
        Assert.Equal(10, result.Steps);
        Assert.Equal(10, result.Curve.Count);
        double[] expected = [0, 0.5, 1, 1, 1, 0.1, 0.1, 0.01, 0.01, 0.005];
        Assert.Equal(expected.Select(f => Math.Round(f * 0.01, 12)), result.Curve.Select(c => Math.Round(c.LearningRate, 12)));
        // A zero head's first loss is log(classes) whatever the batch; training stays finite.
        Assert.Equal(Math.Log(3), result.Curve[0].LossParts["ce"], 4);
        Assert.All(result.Curve, c => Assert.True(double.IsFinite(c.TrainLoss)));
        Assert.All(model.parameters(), p => Assert.True(p.isfinite().all().item<bool>()));
    }

    private static LabeledImages Images(int count, int size) => new(torch.randint(0, 256, [count, 1, size, size], ScalarType.Byte),
        [.. Enumerable.Range(0, count).Select(i => i % 3)], ["a", "b", "c"], [.. Enumerable.Range(0, count).Select(i => $"t#{i}")]);
}
