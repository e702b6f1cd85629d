namespace WebLab.Checkpoints;

/// <summary>How a checkpoint's weights were produced.</summary>
/// <param name="Kind">"pretrain", "fine-tune" or "import".</param>
/// <param name="Settings">Resolved hyperparameters, as text, for display and lineage.</param>
public sealed record TrainingRecord(
    string Kind,
    int? Epochs = null,
    int? Steps = null,
    int? Seed = null,
    string? Device = null,
    double? Seconds = null,
    IReadOnlyDictionary<string, string>? Settings = null);

/// <summary>One ancestor of a checkpoint (multi-step transfer shows as a chain).</summary>
public sealed record LineageStep(string Name, string? Dataset, string Kind, DateTimeOffset? Created);

/// <summary>
/// Everything WebLab needs to use a checkpoint: architecture, input geometry, normalisation, classes,
/// where it came from and how good it was on its own test split.
/// </summary>
/// <param name="Architecture">Registry name (see <see cref="Models.Architectures"/>).</param>
/// <param name="InputSize">Square input size in pixels.</param>
/// <param name="Channels">Input channels (1 or 3).</param>
/// <param name="ClassNames">Classes of the head, in output order.</param>
/// <param name="Mean">Per-channel normalisation mean (pixels in [0, 1]).</param>
/// <param name="Std">Per-channel normalisation standard deviation.</param>
/// <param name="HeadStage">Stages feeding the head when it sits on earlier features; null = all.</param>
/// <param name="Name">Display name.</param>
/// <param name="SourceDataset">Dataset the weights were trained on.</param>
/// <param name="SourceClasses">Classes of that dataset used, by name.</param>
/// <param name="Training">How the weights were produced.</param>
/// <param name="TestAccuracy">Accuracy (fraction) on the source's own test split.</param>
/// <param name="Created">When the checkpoint was written.</param>
/// <param name="Lineage">Earlier checkpoints this one descends from, oldest first.</param>
public sealed record CheckpointInfo(
    string Architecture,
    int InputSize,
    int Channels,
    IReadOnlyList<string> ClassNames,
    float[] Mean,
    float[] Std,
    int? HeadStage = null,
    string? Name = null,
    string? SourceDataset = null,
    IReadOnlyList<string>? SourceClasses = null,
    TrainingRecord? Training = null,
    double? TestAccuracy = null,
    DateTimeOffset? Created = null,
    IReadOnlyList<LineageStep>? Lineage = null)
{
    /// <summary>Outputs of the head.</summary>
    public int NumClasses => ClassNames.Count;

    /// <summary>The model spec this checkpoint's weights fit.</summary>
    public Models.ModelSpec ModelSpec => new(Architecture, NumClasses, Channels, InputSize, HeadStage);

    /// <summary>ImageNet's normalisation, torchvision's default for its pretrained weights.</summary>
    public static float[] ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];

    /// <inheritdoc cref="ImageNetMean"/>
    public static float[] ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];
}
