using TorchSharp;
using WebLab.Data;
using WebLab.Models;
using WebLab.Runtime;
using WebLab.Training;
using WebLab.Transfer;
using static TorchSharp.torch;

namespace WebLab.Tests.Training;

/// <summary>bf16 autocast through libtorch's own switches, and channels-last weights that round-trip.</summary>
public class ArithmeticTests
{
    [Theory]
    [InlineData("bf16", Precision.BFloat16, false, false)]
    [InlineData("float32", Precision.Float32, false, false)]
    [InlineData("bf16, channels-last,tf32", Precision.BFloat16, true, true)]
    [InlineData("channels-last", Precision.Float32, true, false)]
    public void Parse_ReadsCommaSeparatedWords(string text, Precision precision, bool channelsLast, bool tf32) =>
        Assert.Equal(new Arithmetic(precision, channelsLast, tf32), Arithmetic.Parse(text));

    [Fact]
    public void Parse_RejectsUnknownWords_AndLeavesEmptyUnset()
    {
        Assert.Throws<BadInputException>(() => Arithmetic.Parse("fp16"));
        Assert.Null(Arithmetic.Parse(" "));
    }

    [Fact]
    public void Autocast_RunsConvolutionInBFloat16_OnlyInsideTheRegion()
    {
        Assert.True(Autocast.Available);
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(2, 3, 8, 8);
        var weight = torch.randn(4, 3, 3, 3);
        using (new Arithmetic(Precision.BFloat16).Forward(torch.CPU))
        {
            Assert.True(Autocast.IsEnabled(DeviceType.CPU));
            Assert.Equal(ScalarType.BFloat16, nn.functional.conv2d(x, weight).dtype);
        }
        Assert.False(Autocast.IsEnabled(DeviceType.CPU));
        Assert.Equal(ScalarType.Float32, nn.functional.conv2d(x, weight).dtype);
        using (Arithmetic.Exact.Forward(torch.CPU))
            Assert.Equal(ScalarType.Float32, nn.functional.conv2d(x, weight).dtype);
    }

    [Fact]
    public void ChannelsLast_GivesTheSameOutputs_AndRestoresContiguousWeights()
    {
        torch.manual_seed(3);
        using var model = Architectures.Create(new ModelSpec("resnet8", 10, 1, 28));
        model.eval();
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(2, 1, 28, 28);
        var before = model.call(x).detach();
        var weight = model.parameters().First(p => p.dim() == 4 && p.shape[1] > 1);
        var values = weight.detach().clone();
        var arithmetic = new Arithmetic(ChannelsLast: true);
        using (arithmetic.Apply(model, torch.CPU))
        {
            Assert.False(weight.is_contiguous());
            Assert.Equal(1, weight.stride(1)); // NHWC: channels are adjacent in memory
            var after = model.call(arithmetic.Input(x)).detach();
            Assert.True(after.allclose(before, rtol: 1e-4, atol: 1e-5));
        }
        Assert.True(weight.is_contiguous());
        Assert.True(Tensors.Same(weight.detach(), values));
    }

    [Fact]
    public void Trainer_WithBf16AndChannelsLast_TrainsAndLeavesFloat32ContiguousWeights()
    {
        torch.manual_seed(0);
        using var model = Architectures.Create(new ModelSpec("resnet8", 10, 1, 28));
        var plan = TransferPlan.ForScratch(model.Blocks, new TransferDials(), new ScratchDials());
        int cache = ImageTransform.CacheSizeFor(28);
        using var data = new DataSplits(Images(64, cache), Images(16, cache), Images(0, cache));
        var transform = new ImageTransform(28, 1, [0.5f], [0.25f], Augmentation.For(28, flip: true));
        var settings = new TrainerSettings(Steps: 4, BatchSize: 16, Arithmetic: new Arithmetic(Precision.BFloat16, ChannelsLast: true));

        var result = Trainer.Run(model, TransferPlan.Groups(model, plan), data, transform, settings, torch.CPU, new RunLabel("test", 0, "arithmetic"));

        Assert.Equal(4, result.Steps);
        Assert.True(double.IsFinite(result.Curve[^1].TrainLoss));
        Assert.True(double.IsFinite(result.Curve[^1].ValLoss));
        Assert.All(model.parameters(), p =>
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.True(p.is_contiguous());
        });
        Assert.False(Autocast.IsEnabled(DeviceType.CPU));
    }

    private static LabeledImages Images(int count, int size) => new(torch.randint(0, 256, [count, 1, size, size], ScalarType.Byte),
        [.. Enumerable.Range(0, count).Select(i => i % 10)], [.. Enumerable.Range(0, 10).Select(c => $"{c}")],
        [.. Enumerable.Range(0, count).Select(i => $"t#{i}")]);
}
