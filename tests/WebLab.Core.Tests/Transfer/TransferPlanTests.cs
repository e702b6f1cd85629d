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

    [Fact]
    public void HeadL2_PutsItsBetaOnTheNewHeadOnly()
    {
        using var model = Architectures.Create(s_spec);
        var dials = new TransferDials(BlocksTransferred: -1, L2: 5e-4, HeadL2: 0.01, L2SPAlpha: 0.02, L2SPBlocks: 2);
        var plan = TransferPlan.ForTransfer(model.Blocks, false, dials);
        // L2-SP on the two lowest blocks, plain L2 on the transferred block above and on the re-initialised top stage, beta on the head.
        Assert.Equal([("l2sp", 0.02), ("l2sp", 0.02), ("l2", 5e-4), ("l2", 5e-4), ("l2", 0.01)], plan.Select(p => (p.Penalty, p.Strength)));
        // A head transferred with the source's classes is not new: it is held like the other transferred blocks.
        var kept = TransferPlan.ForTransfer(model.Blocks, true, dials with { BlocksTransferred = 5, L2SPBlocks = null });
        Assert.Equal(("l2sp", 0.02), (kept[^1].Penalty, kept[^1].Strength));
        // Unset, the head takes l2.
        var head = TransferPlan.ForTransfer(model.Blocks, false, new TransferDials(L2: 5e-4))[^1];
        Assert.Equal(("l2", 5e-4), (head.Penalty, head.Strength));
    }

    [Fact]
    public void ZeroHead_StartsTheNewHeadAtZero_SoTheBodysFirstGradientIsZero()
    {
        torch.manual_seed(3);
        using var source = Architectures.Create(s_spec with { NumClasses = 5 });
        var plan = TransferPlan.ForTransfer(source.Blocks, false, new TransferDials(ZeroHead: true));
        Assert.Equal([false, false, false, false, true], plan.Select(p => p.ZeroInit));
        using var model = TransferPlan.Build(s_spec, plan, source, seed: 7);
        var state = model.state_dict();
        Assert.All(state.Where(kv => model.BlockOf(kv.Key).Name == "head"), kv => Assert.Equal(0, kv.Value.abs().sum().item<float>()));
        Assert.True(Tensors.Same(state["layer3.0.conv1.weight"], source.state_dict()["layer3.0.conv1.weight"]));

        using (var scope = torch.NewDisposeScope())
        {
            model.train();
            var x = torch.randn(6, 1, 28, 28);
            var y = torch.tensor(new long[] { 0, 1, 2, 3, 0, 1 });
            var logits = model.call(x);
            Assert.Equal(0, logits.abs().max().item<float>()); // every class starts equal
            var loss = torch.nn.functional.cross_entropy(logits, y);
            Assert.Equal(Math.Log(4), loss.item<float>(), 5);
            loss.backward();
            foreach (var (name, parameter) in model.named_parameters())
            {
                float norm = parameter.grad!.abs().sum().item<float>();
                if (model.BlockOf(name).Name == "head")
                    Assert.True(norm > 0, $"{name}: the head learns from the first update");
                else
                    Assert.True(norm == 0, $"{name}: no gradient reaches the body through a zero head");
            }
        }

        // A head transferred with the source's classes keeps its weights; the scratch arm's head is random.
        var sameClasses = TransferPlan.ForTransfer(source.Blocks, true, new TransferDials(BlocksTransferred: 5, ZeroHead: true));
        Assert.False(sameClasses[^1].ZeroInit);
        Assert.All(TransferPlan.ForScratch(source.Blocks, new TransferDials(ZeroHead: true), new ScratchDials()), p => Assert.False(p.ZeroInit));
    }
}
