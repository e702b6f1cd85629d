namespace WebLab.Models;

/// <summary>State-dict keys of a classifier head: its weight, [classes, features], and its bias, [classes].</summary>
public sealed record HeadKeys(string Weight, string Bias);

/// <summary>
/// A family of architectures (ResNets so far) as the rest of WebLab sees it: how to build a member, and the
/// state-dict names it needs to read a file it has not built. Only Models/ spells a family's layer names, so a
/// second family is one new implementation (with its <see cref="BlockModel"/>) and its entries in
/// <see cref="Architectures.All"/>; blocks by depth and the head come from the model itself.
/// </summary>
public interface IModelFamily
{
    /// <summary>Builds an untrained model (initialised from torch's current RNG state).</summary>
    BlockModel Create(ModelSpec spec);

    /// <summary>State-dict key of the first layer's weight, [out, in channels, ...]: the input channels a file takes.</summary>
    string InputWeightKey { get; }

    /// <summary>State-dict keys of the head.</summary>
    HeadKeys Head { get; }
}
