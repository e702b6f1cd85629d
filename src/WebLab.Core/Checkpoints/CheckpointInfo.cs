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

/// <summary>Channel order the model takes.</summary>
public enum ChannelOrder
{
    Rgb,
    Bgr,
}

/// <summary>
/// How decoded pixels become model input, beyond the per-channel mean and std: the channel order, the pixel scale, and
/// an optional per-pixel mean image. Input = (order(pixels in [0, PixelScale]) − mean image − Mean) / Std.
/// </summary>
/// <param name="ChannelOrder">RGB (torchvision) or BGR (Caffe and CNTK sources).</param>
/// <param name="PixelScale">Pixels run from 0 to this before the means are subtracted: 1 (torchvision) or 255 (Caffe, CNTK).</param>
/// <param name="MeanImage">
/// The checkpoint file carries a mean image [C, H, W] (its tensor <see cref="Checkpoint.MeanImageKey"/>), in the model's channel
/// order and pixel scale, subtracted pixel by pixel. Exact at its own size; at another input size it is resized bilinearly
/// (a per-channel mean is not the same thing: see the zoo's notes in the README).
/// </param>
public sealed record InputEncoding(ChannelOrder ChannelOrder = ChannelOrder.Rgb, float PixelScale = 1, bool MeanImage = false)
{
    /// <summary>torchvision's convention: RGB in [0, 1], per-channel mean and std only.</summary>
    public static InputEncoding Default { get; } = new();
}

/// <summary>One ancestor of a checkpoint (multi-step transfer shows as a chain).</summary>
public sealed record LineageStep(string Name, string? Dataset, string Kind, DateTimeOffset? Created);

/// <summary>
/// Everything WebLab needs to use a checkpoint: architecture, input geometry, normalisation, classes,
/// where it came from and how good it was on its own test split.
/// </summary>
/// <param name="Architecture">Registry name (see <see cref="Models.Architectures"/>).</param>
/// <param name="InputSize">Square input size in pixels.</param>
/// <param name="Channels">Input channels (1 or 3).</param>
/// <param name="ClassNames">Classes of the head, in output order; empty for a source without a classifier head.</param>
/// <param name="Mean">Per-channel normalisation mean (pixels in [0, <see cref="InputEncoding.PixelScale"/>]).</param>
/// <param name="Std">Per-channel normalisation standard deviation.</param>
/// <param name="HeadStage">Stages feeding the head when it sits on earlier features; null = all.</param>
/// <param name="Name">Display name.</param>
/// <param name="SourceDataset">Dataset the weights were trained on.</param>
/// <param name="SourceClasses">Classes of that dataset used, by name.</param>
/// <param name="Training">How the weights were produced.</param>
/// <param name="TestAccuracy">Accuracy (fraction) on the source's own test split.</param>
/// <param name="Created">When the checkpoint was written.</param>
/// <param name="Lineage">Earlier checkpoints this one descends from, oldest first.</param>
/// <param name="Encoding">Channel order, pixel scale and mean image; null is <see cref="InputEncoding.Default"/>.</param>
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
    IReadOnlyList<LineageStep>? Lineage = null,
    InputEncoding? Encoding = null)
{
    /// <summary>Outputs of the head (0 without one).</summary>
    public int NumClasses => ClassNames.Count;

    /// <summary>False for a source published without its classifier (features only): no LEEP, NCE or predictions.</summary>
    public bool HasHead => ClassNames.Count > 0;

    /// <summary>The input encoding in force (<see cref="Encoding"/> or the default).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public InputEncoding Input => Encoding ?? InputEncoding.Default;

    /// <summary>The model spec this checkpoint's weights fit.</summary>
    public Models.ModelSpec ModelSpec => new(Architecture, NumClasses, Channels, InputSize, HeadStage);

    /// <summary>ImageNet's normalisation, torchvision's default for its pretrained weights.</summary>
    public static float[] ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];

    /// <inheritdoc cref="ImageNetMean"/>
    public static float[] ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];
}
