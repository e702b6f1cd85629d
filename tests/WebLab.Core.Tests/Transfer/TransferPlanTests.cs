using TorchSharp;
using WebLab.Models;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Transfer;

public class TransferPlanTests
{
    private static readonly ModelSpec s_spec = new("resnet8", 4, 1, 28);

    [Fact]
    public void LayerDecay_GivesLowerBlocksSmallerRates_AndNewBlocksTheHeadRate()
    {
        using var model = Architectures.Create(s_spec);
        var plan = TransferPlan.ForTransfer(model.Blocks, false, new TransferDials(BlocksTransferred: 3, HeadLearningRate: 0.1, LayerDecay: 0.5));
        Assert.Equal([0.1 * 0.0625, 0.1 * 0.125, 0.1 * 0.25, 0.1, 0.1], plan.Select(p => p.LearningRate));
        Assert.Equal([true, true, true, false, false], plan.Select(p => p.Transferred));
    }

    [Fact]
    public void PerBlockRates_LandInTheOptimizersParamGroups()
    {
        using var model = Architectures.Create(s_spec);
        var rates = new Dictionary<string, double> { ["stem"] = 0.001, ["layer2"] = 0.02 };
        var plan = TransferPlan.ForTransfer(model.Blocks, false, new TransferDials(HeadLearningRate: 0.3, FrozenBlocks: 0, BlockLearningRates: rates, LayerDecay: 0.1));
        var groups = TransferPlan.Groups(model, plan);
        using var optimizer = Trainer.CreateOptimizer(groups, new TrainerSettings());
        var lrs = optimizer.Groups.Select(g => g.LearningRate).ToArray();
        // stem and layer2 explicit; layer1 sits 3 levels below the head (0.3 x 0.1^3), layer3 one level (0.3 x 0.1).
        Assert.Equal([0.001, 0.0003, 0.02, 0.03, 0.3], lrs.Select(r => Math.Round(r, 10)));
        // Each group holds exactly its block's parameters.
        var sizes = optimizer.Groups.Select(g => g.Parameters.Count).ToArray();
        Assert.Equal(model.Blocks.Select(b => model.ParametersOf(b).Count()), sizes);
    }

    [Fact]
    public void LinearProbe_FreezesEveryTransferredBlock()
    {
        using var model = Architectures.Create(s_spec);
        var plan = TransferPlan.ForTransfer(model.Blocks, false, new TransferDials(LinearProbe: true));
        Assert.Equal([true, true, true, true, false], plan.Select(p => p.Frozen));
        Assert.Single(TransferPlan.Groups(model, plan));
    }

    [Fact]
    public void Plans_RejectImpossibleCombinations_WithReasons()
    {
        using var model = Architectures.Create(s_spec);
        Assert.Contains("4 transferable blocks (stem, layer1, layer2, layer3); the head is new because the classes differ",
            Assert.Throws<BadInputException>(() => TransferPlan.ForTransfer(model.Blocks, false, new TransferDials(BlocksTransferred: 5))).Message);
        Assert.Contains("freezing re-initialised blocks would leave them random",
            Assert.Throws<BadInputException>(() => TransferPlan.ForTransfer(model.Blocks, false, new TransferDials(BlocksTransferred: 1, FrozenBlocks: 2))).Message);
    }

    [Fact]
    public void Build_CopiesTransferredBlocks_AndReinitialisedBlocksMatchAFreshInit()
    {
        torch.manual_seed(100);
        using var source = Architectures.Create(s_spec with { NumClasses = 5 });
        using var model = TransferPlan.Build(s_spec, TransferPlan.ForTransfer(source.Blocks, false,
            new TransferDials(BlocksTransferred: 2)), source, seed: 7);
        torch.manual_seed(7);
        using var fresh = Architectures.Create(s_spec);
        var from = source.state_dict();
        var init = fresh.state_dict();
        foreach (var (key, value) in model.state_dict())
        {
            var block = model.BlockOf(key).Name;
            if (block is "stem" or "layer1")
            {
                Assert.True(Tensors.Same(value, from[key]), $"{key} should come from the source");
            }
            else
            {
                Assert.True(Tensors.Same(value, init[key]), $"{key} should equal a fresh init with the same seed");
                if (key.EndsWith("weight", StringComparison.Ordinal) && value.dim() > 1 && from.TryGetValue(key, out var src) && src.shape.SequenceEqual(value.shape))
                    Assert.False(Tensors.Same(value, src), $"{key} should differ from the source");
            }
        }
    }
}
