using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Models;
using WebLab.Training;

namespace WebLab.Transfer;

/// <summary>What happens to one block in an arm.</summary>
/// <param name="Block">Block name (stem, layer1, ..., head).</param>
/// <param name="Transferred">Weights copied from the source (else freshly initialised).</param>
/// <param name="Frozen">Not trained (BatchNorm statistics held too).</param>
/// <param name="LearningRate">Base learning rate (0 when frozen).</param>
/// <param name="Penalty">"l2sp" (toward the pretrained weights), "l2" (toward zero) or "none".</param>
/// <param name="Strength">alpha for l2sp, beta for l2.</param>
/// <param name="ZeroInit">Starts at zero instead of a random initialisation (a new head under <see cref="TransferDials.ZeroHead"/>).</param>
public sealed record BlockPlan(string Block, bool Transferred, bool Frozen, double LearningRate, string Penalty, double Strength, bool ZeroInit = false);

/// <summary>Resolves dials into per-block plans, builds the arm's model and its optimiser groups.</summary>
public static class TransferPlan
{
    /// <summary>True when the source head can be reused: same classes in the same order and the same head stage.</summary>
    public static bool HeadTransferable(CheckpointInfo source, IReadOnlyList<string> targetClasses, int? headStage) =>
        source.ClassNames.SequenceEqual(targetClasses, StringComparer.Ordinal) && source.HeadStage == headStage;

    /// <summary>Per-block plan of the transfer arm. Throws <see cref="BadInputException"/> for impossible combinations.</summary>
    public static IReadOnlyList<BlockPlan> ForTransfer(IReadOnlyList<ModelBlock> blocks, bool headTransferable, TransferDials d)
    {
        var body = blocks.Where(b => b.Role != BlockRole.Head).ToList();
        int transferable = body.Count + (headTransferable ? 1 : 0);
        int transferred = d.BlocksTransferred is < 0 and var relative ? body.Count + relative : d.BlocksTransferred ?? body.Count;
        if (transferred < 0)
            throw new BadInputException(
                $"blocksTransferred is {d.BlocksTransferred}: this model has only {body.Count} transferable blocks ({string.Join(", ", body.Select(b => b.Name))}).");
        if (transferred > transferable)
            throw new BadInputException(
                $"blocksTransferred is {transferred}, but this model has {body.Count} transferable blocks ({string.Join(", ", body.Select(b => b.Name))})" +
                (headTransferable ? " plus the head" : "; the head is new because the classes differ") + ".");
        int frozen = d.LinearProbe ? Math.Min(transferred, body.Count) : d.FrozenBlocks;
        if (frozen > transferred)
            throw new BadInputException(
                $"frozenBlocks is {frozen} but only {transferred} blocks are transferred: freezing re-initialised blocks would leave them random.");

        int headDepth = blocks[^1].Depth;
        int l2spBlocks = d.L2SPBlocks ?? int.MaxValue;
        var plan = new List<BlockPlan>();
        for (int i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            bool isTransferred = i < transferred;
            bool isFrozen = i < frozen;
            double lr = isFrozen ? 0
                : d.BlockLearningRates is { } explicitRates && explicitRates.TryGetValue(block.Name, out var given) ? given
                : isTransferred ? d.HeadLearningRate * Math.Pow(d.LayerDecay, headDepth - block.Depth)
                : d.HeadLearningRate;
            bool newHead = !isTransferred && block.Role == BlockRole.Head;
            double beta = newHead ? d.HeadL2 ?? d.L2 : d.L2;
            var (penalty, strength) = isFrozen ? ("none", 0.0)
                : isTransferred && d.L2SPAlpha > 0 && i < l2spBlocks ? ("l2sp", d.L2SPAlpha)
                : beta > 0 ? ("l2", beta) : ("none", 0.0);
            plan.Add(new BlockPlan(block.Name, isTransferred, isFrozen, lr, penalty, strength, ZeroInit: newHead && d.ZeroHead));
        }
        return plan;
    }

    /// <summary>Per-block plan of the random-initialisation arm: everything new, trained, one learning rate, L2 only.</summary>
    public static IReadOnlyList<BlockPlan> ForScratch(IReadOnlyList<ModelBlock> blocks, TransferDials d, ScratchDials s) =>
        blocks.Select(b => new BlockPlan(b.Name, false, false, s.LearningRateFor(s.Recipe == ScratchRecipe.Standard ? OptimizerKind.Sgd : d.Optimizer),
            s.L2For(d) > 0 ? "l2" : "none", s.L2For(d))).ToList();

    /// <summary>
    /// Builds the arm's model: a fresh initialisation from <paramref name="seed"/> (so both arms of a seed share it),
    /// then the transferred blocks' weights and BatchNorm statistics copied from <paramref name="source"/>, and the
    /// blocks planned to start at zero zeroed.
    /// </summary>
    public static BlockModel Build(ModelSpec spec, IReadOnlyList<BlockPlan> plan, BlockModel? source, int seed)
    {
        torch.manual_seed(seed);
        var model = Architectures.Create(spec);
        try
        {
            var zero = plan.Where(p => p.ZeroInit).Select(p => p.Block).ToHashSet();
            if (zero.Count > 0)
            {
                using var noGrad = torch.no_grad();
                foreach (var (key, value) in model.named_parameters())
                {
                    if (zero.Contains(model.BlockOf(key).Name))
                        value.zero_();
                }
            }
            var copy = plan.Where(p => p.Transferred).Select(p => p.Block).ToHashSet();
            if (copy.Count == 0)
                return model;
            if (source is null)
                throw new InvalidOperationException("a plan that transfers blocks needs a source model");
            var from = source.state_dict();
            using var _ = torch.no_grad();
            foreach (var (key, value) in model.state_dict())
            {
                if (!copy.Contains(model.BlockOf(key).Name))
                    continue;
                if (!from.TryGetValue(key, out var pretrained))
                    throw new BadInputException($"The source checkpoint has no weight '{key}' to transfer.");
                if (!pretrained.shape.SequenceEqual(value.shape))
                    throw new BadInputException(
                        $"Source weight '{key}' has shape [{string.Join(", ", pretrained.shape)}]; the target model needs [{string.Join(", ", value.shape)}].");
                value.copy_(pretrained);
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Optimiser groups, one per trained block (frozen blocks get none).</summary>
    public static IReadOnlyList<ParamGroupPlan> Groups(BlockModel model, IReadOnlyList<BlockPlan> plan)
    {
        var groups = new List<ParamGroupPlan>();
        foreach (var p in plan)
        {
            if (p.Frozen)
                continue;
            var block = model.Blocks.First(b => b.Name == p.Block);
            var parameters = model.ParametersOf(block).Select(x => (x.Name, x.Parameter)).ToList();
            groups.Add(new ParamGroupPlan(p.Block, parameters, p.LearningRate,
                L2: p.Penalty == "l2" ? p.Strength : 0, L2SP: p.Penalty == "l2sp" ? p.Strength : 0));
        }
        return groups;
    }
}
