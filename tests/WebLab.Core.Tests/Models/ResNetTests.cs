using System.Text.Json;
using TorchSharp;
using WebLab.Models;

namespace WebLab.Tests.Models;

public class ResNetTests
{
    /// <summary>torchvision 0.14's state-dict keys and shapes (Fixtures/make_torchvision_fixture.py).</summary>
    public static List<(string Key, long[] Shape)> TorchvisionKeys(string architecture)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "torchvision-resnet.json")));
        return doc.RootElement.GetProperty("models").GetProperty(architecture).GetProperty("keys").EnumerateArray()
            .Select(e => (e[0].GetString()!, e[1].EnumerateArray().Select(d => d.GetInt64()).ToArray())).ToList();
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    public void StateDict_KeysAndShapesEqualTorchvision(string architecture)
    {
        using var model = Architectures.Create(new ModelSpec(architecture, 1000, 3, 224));
        // Key order differs (TorchSharp lists parameters before buffers); names and shapes must match exactly.
        var ours = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        var theirs = TorchvisionKeys(architecture);
        Assert.Equal(theirs.Select(t => t.Key).Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, shape) in theirs)
            Assert.True(shape.SequenceEqual(ours[key]), $"{key}: [{string.Join(",", ours[key])}] vs torchvision [{string.Join(",", shape)}]");
    }

    [Fact]
    public void Blocks_AreStemStagesHead_InDepthOrder_AndCoverEveryKey()
    {
        using var model = Architectures.Create(new ModelSpec("resnet18", 10, 3, 64));
        Assert.Equal(["stem", "layer1", "layer2", "layer3", "layer4", "head"], model.Blocks.Select(b => b.Name));
        Assert.Equal(Enumerable.Range(0, 6), model.Blocks.Select(b => b.Depth));
        Assert.Equal([BlockRole.Stem, BlockRole.Stage, BlockRole.Stage, BlockRole.Stage, BlockRole.Stage, BlockRole.Head], model.Blocks.Select(b => b.Role));
        foreach (var key in model.state_dict().Keys)
            Assert.Single(model.Blocks, b => b.Owns(key));
        Assert.Equal("stem", model.BlockOf("bn1.running_mean").Name);
        Assert.Equal(["fc.weight", "fc.bias"], model.ParametersOf(model.Blocks[^1]).Select(p => p.Name));
    }

    [Theory]
    [InlineData("resnet8", 1, 28, 5)]
    [InlineData("resnet8", 3, 40, 2)]
    [InlineData("resnet20", 1, 32, 10)]
    [InlineData("resnet18", 1, 64, 3)]
    [InlineData("resnet50", 3, 32, 7)]
    public void Forward_AnyInputSizeChannelsAndClasses(string architecture, int channels, int size, int classes)
    {
        using var model = Architectures.Create(new ModelSpec(architecture, classes, channels, size));
        model.eval();
        using var x = torch.randn(2, channels, size, size);
        using var y = model.call(x);
        Assert.Equal([2, classes], y.shape);
    }

    [Fact]
    public void HeadStage_PutsTheHeadOnEarlierFeatures()
    {
        using var model = Architectures.Create(new ModelSpec("resnet18", 4, 3, 64, HeadStage: 2));
        Assert.Equal(["stem", "layer1", "layer2", "head"], model.Blocks.Select(b => b.Name));
        Assert.Equal(128, model.FeatureWidth(2));
        Assert.Equal([4, 128], model.state_dict()["fc.weight"].shape);
        using var y = model.call(torch.randn(1, 3, 64, 64));
        Assert.Equal([1, 4], y.shape);
    }

    [Fact]
    public void Create_SameSeed_SameWeights()
    {
        torch.manual_seed(11);
        using var a = Architectures.Create(new ModelSpec("resnet8", 5, 1, 28));
        torch.manual_seed(11);
        using var b = Architectures.Create(new ModelSpec("resnet8", 5, 1, 28));
        foreach (var (key, value) in a.state_dict())
            Assert.True(Tensors.Same(value, b.state_dict()[key]), key);
    }

    [Fact]
    public void Create_RejectsImpossibleSpecs()
    {
        Assert.Contains("Unknown architecture 'vgg'", Assert.Throws<BadInputException>(() => Architectures.Create(new ModelSpec("vgg", 2, 3, 224))).Message);
        Assert.Contains("at least 2 classes", Assert.Throws<BadInputException>(() => Architectures.Create(new ModelSpec("resnet8", 1, 3, 28))).Message);
        Assert.Contains("1 or 3 input channels", Assert.Throws<BadInputException>(() => Architectures.Create(new ModelSpec("resnet8", 2, 4, 28))).Message);
    }

    [Fact]
    public void ReplaceHead_WritesTheParametersTheFamilyNames()
    {
        using var model = Architectures.Create(new ModelSpec("resnet8", 3, 1, 28, HeadStage: 2));
        Assert.Equal(new HeadKeys("fc.weight", "fc.bias"), model.Family.Head);
        Assert.Equal((32, 3), (model.HeadInFeatures, model.HeadOutFeatures));
        using var weight = torch.ones(3, 32);
        using var bias = torch.tensor(new float[] { 1, 2, 3 });

        model.ReplaceHead(weight, bias);

        Assert.True(Tensors.Same(weight, model.state_dict()[model.Family.Head.Weight]));
        using var logits = model.Classify(torch.zeros(1, 32));
        Assert.Equal([1f, 2f, 3f], logits.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => model.ReplaceHead(torch.ones(3, 64), bias));
    }
}
