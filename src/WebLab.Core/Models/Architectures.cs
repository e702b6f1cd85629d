namespace WebLab.Models;

/// <summary>A registered architecture.</summary>
/// <param name="Name">Registry name (torchvision's where it exists).</param>
/// <param name="Description">One line for listings.</param>
/// <param name="DefaultInputSize">Input size it is usually trained at.</param>
/// <param name="MinInputSize">Smallest input that survives its downsampling.</param>
/// <param name="Family">Its family with this member's shape (e.g. a <see cref="ResNetShape"/>).</param>
public sealed record Architecture(string Name, string Description, int DefaultInputSize, int MinInputSize, IModelFamily Family)
{
    /// <summary>Builds an untrained model (initialised from torch's current RNG state).</summary>
    public BlockModel Create(ModelSpec spec)
    {
        if (spec.InputSize < MinInputSize)
            throw new BadInputException($"{Name} needs inputs of at least {MinInputSize} px (got {spec.InputSize}).");
        if (spec.InChannels is not (1 or 3))
            throw new BadInputException($"Models take 1 or 3 input channels (got {spec.InChannels}).");
        if (spec.NumClasses is 1 or < 0)
            throw new BadInputException($"A classifier needs at least 2 classes (got {spec.NumClasses}; 0 builds a feature extractor without a head).");
        return Family.Create(spec with { Architecture = Name });
    }
}

/// <summary>The architecture registry.</summary>
public static class Architectures
{
    private static readonly int[] s_imageNetWidths = [64, 128, 256, 512];
    private static readonly int[] s_smallWidths = [16, 32, 64];

    /// <summary>Every registered architecture.</summary>
    public static IReadOnlyList<Architecture> All { get; } =
    [
        new("resnet8", "small ResNet for 28-64 px images: 3x3 stem, stages of 1 basic block (16/32/64 wide); trains in seconds on CPU",
            28, 8, new ResNetShape(ResidualBlock.Basic, [1, 1, 1], s_smallWidths, StemKind.Small)),
        new("resnet20", "CIFAR-style ResNet-20: 3x3 stem, 3 stages of 3 basic blocks (16/32/64 wide)",
            32, 8, new ResNetShape(ResidualBlock.Basic, [3, 3, 3], s_smallWidths, StemKind.Small)),
        new("resnet18", "torchvision ResNet-18 (ImageNet stem, 4 stages of 2 basic blocks)",
            224, 32, new ResNetShape(ResidualBlock.Basic, [2, 2, 2, 2], s_imageNetWidths, StemKind.ImageNet)),
        // ML.NET's "ResNet18.onnx" (CNTK) has a third block in its last stage, as its graph shows. It pads SAME_LOWER, which
        // computes exactly what symmetric padding does here (Checkpoints/Zoo/SamePadding.cs says why and tests check it).
        new("resnet18-cntk", "ML.NET's ImageNet \"ResNet-18\" (CNTK): torchvision's ResNet-18 with a third basic block in the last " +
            "stage (2/2/2/3); the zoo's resnet18-imagenet",
            224, 32, new ResNetShape(ResidualBlock.Basic, [2, 2, 2, 3], s_imageNetWidths, StemKind.ImageNet)),
        new("resnet34", "torchvision ResNet-34 (ImageNet stem, 3/4/6/3 basic blocks)",
            224, 32, new ResNetShape(ResidualBlock.Basic, [3, 4, 6, 3], s_imageNetWidths, StemKind.ImageNet)),
        new("resnet50", "torchvision ResNet-50 (ImageNet stem, 3/4/6/3 bottleneck blocks)",
            224, 32, new ResNetShape(ResidualBlock.Bottleneck, [3, 4, 6, 3], s_imageNetWidths, StemKind.ImageNet)),
    ];

    /// <summary>Finds an architecture by name (case-insensitive).</summary>
    public static Architecture Get(string name) =>
        All.FirstOrDefault(a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new BadInputException($"Unknown architecture '{name}'. Known: {string.Join(", ", All.Select(a => a.Name))}.");

    /// <summary>Builds a model for <paramref name="spec"/>.</summary>
    public static BlockModel Create(ModelSpec spec) => Get(spec.Architecture).Create(spec);
}
