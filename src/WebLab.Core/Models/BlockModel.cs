using static TorchSharp.torch;

namespace WebLab.Models;

/// <summary>What a block is for: the input stem, a stage of residual blocks, or the classifier head.</summary>
public enum BlockRole
{
    Stem,
    Stage,
    Head,
}

/// <summary>
/// One block of a model by depth. <paramref name="Prefixes"/> are the state-dict key prefixes its parameters
/// and buffers live under (torchvision's names: the stem is "conv1." and "bn1.").
/// </summary>
public sealed record ModelBlock(string Name, int Depth, BlockRole Role, IReadOnlyList<string> Prefixes)
{
    /// <summary>True if the state-dict key <paramref name="key"/> belongs to this block.</summary>
    public bool Owns(string key) => Prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
}

/// <summary>What to build: an architecture, its input and its classes.</summary>
/// <param name="Architecture">Registered name, e.g. "resnet18" or "resnet8".</param>
/// <param name="NumClasses">Outputs of the head.</param>
/// <param name="InChannels">Image channels (1 or 3).</param>
/// <param name="InputSize">Square input size in pixels.</param>
/// <param name="HeadStage">Stages feeding the head (1..n); null means all. Fewer stages = a head on earlier features.</param>
public sealed record ModelSpec(string Architecture, int NumClasses, int InChannels, int InputSize, int? HeadStage = null);

/// <summary>
/// A classifier whose layers are grouped into ordered blocks (stem, stage 1..n, head), so strategies can
/// transfer, freeze, re-initialise or set a learning rate for "the first k blocks".
/// </summary>
public abstract class BlockModel : nn.Module<Tensor, Tensor>
{
    protected BlockModel(string name, ModelSpec spec, IModelFamily family) : base(name)
    {
        Spec = spec;
        Family = family;
    }

    public ModelSpec Spec { get; }

    /// <summary>The family (and member shape) this model was built from; it names the head's parameters.</summary>
    public IModelFamily Family { get; }

    /// <summary>Blocks in depth order: stem, stages, head.</summary>
    public abstract IReadOnlyList<ModelBlock> Blocks { get; }

    /// <summary>Number of stages feeding the head.</summary>
    public abstract int Stages { get; }

    /// <summary>Width of the pooled features after <paramref name="stage"/> stages.</summary>
    public abstract int FeatureWidth(int stage);

    /// <summary>Globally pooled features after the first <paramref name="stages"/> stages (all when null): [B, width].</summary>
    public abstract Tensor Features(Tensor input, int? stages = null);

    /// <summary>The classifier head applied to pooled features (throws when <see cref="HasHead"/> is false).</summary>
    public abstract Tensor Classify(Tensor features);

    /// <summary>Features the head takes: the pooled width after the stages feeding it.</summary>
    public int HeadInFeatures => FeatureWidth(Stages);

    /// <summary>Outputs of the head: one per class.</summary>
    public int HeadOutFeatures => Spec.NumClasses;

    /// <summary>False for a feature extractor built with 0 classes: <see cref="Classify"/> and <see cref="forward"/> then throw.</summary>
    public bool HasHead => Spec.NumClasses > 0;

    /// <summary>Replaces the head's weights with a head fitted elsewhere: weight [classes, features], bias [classes].</summary>
    public void ReplaceHead(Tensor weight, Tensor bias)
    {
        if (!HasHead)
            throw new InvalidOperationException($"this {Spec.Architecture} has no head to replace (built with 0 classes)");
        if (!weight.shape.SequenceEqual([HeadOutFeatures, HeadInFeatures]) || !bias.shape.SequenceEqual([HeadOutFeatures]))
            throw new ArgumentException($"the head takes weight [{HeadOutFeatures}, {HeadInFeatures}] and bias [{HeadOutFeatures}] " +
                                        $"(got [{string.Join(", ", weight.shape)}] and [{string.Join(", ", bias.shape)}])");
        var state = state_dict();
        using var _ = no_grad();
        state[Family.Head.Weight].copy_(weight);
        state[Family.Head.Bias].copy_(bias);
    }

    public override Tensor forward(Tensor input) => Classify(Features(input));

    /// <summary>The block that owns a state-dict key.</summary>
    public ModelBlock BlockOf(string key) =>
        Blocks.FirstOrDefault(b => b.Owns(key)) ?? throw new InvalidOperationException($"no block owns '{key}'");

    /// <summary>Named parameters of one block.</summary>
    public IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> ParametersOf(ModelBlock block) =>
        named_parameters().Where(p => block.Owns(p.name));

    /// <summary>Total trainable parameter count.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());
}
