using System.Globalization;
using SkiaSharp;
using WebLab.Data;
using WebLab.Models;

namespace WebLab.Transfer;

/// <summary>How an experiment picks its input size when <see cref="TransferDials.InputSize"/> is not given.</summary>
public enum InputSizeRule
{
    /// <summary>The source's own size on a GPU; on a CPU at most <see cref="InputSizes.CpuSize"/> px (BiT's crop for small images).</summary>
    Auto,

    /// <summary>The source's own size on every device (what the source was trained at).</summary>
    Source,

    /// <summary>BiT-HyperRule as its code runs it: targets whose images are under 96x96 px train at 128 px (resized to 160, cropped), larger ones at 480 px.</summary>
    Bit,
}

/// <summary>The input size an experiment trains and tests both arms at, and why.</summary>
/// <param name="Size">Square input size in pixels.</param>
/// <param name="SourceSize">The source checkpoint's own input size.</param>
/// <param name="Rule">The rule that chose it; null when the size was given.</param>
/// <param name="Reason">One line for people, e.g. "128 px: the auto rule on a CPU (the source's own 224 px on a GPU)".</param>
public sealed record InputSizeChoice(int Size, int SourceSize, InputSizeRule? Rule, string Reason)
{
    /// <summary>Compute per image relative to the source's own size: it grows with pixels, (Size / SourceSize)^2.</summary>
    public double WorkVsSource => InputSizes.WorkRatio(Size, SourceSize);
}

/// <summary>A training-speed measurement at two input sizes (steps/s of the experiment trainer, same model and batch).</summary>
public sealed record InputSizeSpeed(string Model, int Batch, string Machine, int SmallSize, double SmallStepsPerSecond, int LargeSize,
    double LargeStepsPerSecond, string Command)
{
    /// <summary>How many times longer a step takes at the large size.</summary>
    public double Slowdown => SmallStepsPerSecond / LargeStepsPerSecond;
}

/// <summary>
/// The input-size dial's rules, in one place: the automatic rule (GPU vs CPU), BiT's resolution rule, the source's own
/// size, and the range checks. ResNets here end in adaptive average pooling, so any size above the architecture's
/// minimum runs; the rules only decide what is worth the compute.
/// </summary>
public static class InputSizes
{
    /// <summary>Smallest input size the dial accepts (the architecture may need more).</summary>
    public const int Min = 16;

    /// <summary>Largest input size the dial accepts.</summary>
    public const int Max = 1024;

    /// <summary>The automatic rule's size on a CPU: BiT's crop for small images (resize to 160, crop 128).</summary>
    public const int CpuSize = 128;

    /// <summary>BiT-HyperRule's training size for targets with images under <see cref="BitSmallArea"/> pixels.</summary>
    public const int BitSmallSize = 128;

    /// <summary>
    /// BiT-HyperRule's training size for larger target images: 480 px, resized to 512 and cropped, as the published code
    /// does (bit_hyperrule.get_resolution). The paper says 448 and 384; the code is what produced the released numbers, and
    /// the preset follows the code.
    /// </summary>
    public const int BitLargeSize = 480;

    /// <summary>BiT-HyperRule's threshold: images with an area under 96 x 96 pixels count as small.</summary>
    public const int BitSmallArea = 96 * 96;

    /// <summary>
    /// ResNet-18 (the zoo's resnet18-cntk) training speed at 128 and 224 px on the 2-core development machine, through
    /// the experiment trainer (augmentation and loader included): medians of 3 alternating repeats, 2026-12-02, with nothing
    /// else running (load average 1.9: the benchmark's own two threads). bench/results/colour-demo.md has the table, and the
    /// same benchmark 5x slower while a neighbour's jobs shared the cores.
    /// </summary>
    public static InputSizeSpeed Measured { get; } = new("resnet18-cntk", 32, "the 2-core development CPU (no GPU)", 128, 1.646, 224, 0.433,
        "weblab bench input-size --sizes 128,224 --repeats 3");

    /// <summary>Compute per image at <paramref name="size"/> relative to <paramref name="baseline"/>: (size / baseline)^2.</summary>
    public static double WorkRatio(int size, int baseline) => (double)size * size / ((double)baseline * baseline);

    /// <summary>
    /// The automatic rule: the source's own size on a GPU; on a CPU <see cref="CpuSize"/> when the source is larger.
    /// A source at or below <see cref="CpuSize"/> (the 28 px demo source) is never resized by a rule.
    /// </summary>
    public static int Auto(int sourceSize, bool gpu) => gpu || sourceSize <= CpuSize ? sourceSize : CpuSize;

    /// <summary>
    /// BiT-HyperRule's resolution: <see cref="BitSmallSize"/> for target images under 96 x 96 px, else <see cref="BitLargeSize"/>.
    /// BiT's sources were ImageNet-size, so a source at or below <see cref="CpuSize"/> keeps its own size.
    /// </summary>
    public static int Bit(int sourceSize, int targetWidth, int targetHeight) =>
        sourceSize <= CpuSize ? sourceSize : (long)targetWidth * targetHeight < BitSmallArea ? BitSmallSize : BitLargeSize;

    /// <summary>
    /// The size an experiment with <paramref name="dials"/> uses for a source of <paramref name="sourceSize"/> px and
    /// <paramref name="architecture"/>, on a GPU or not, with the target's typical image size when known (BiT's rule needs it).
    /// </summary>
    public static InputSizeChoice Choose(TransferDials dials, int sourceSize, string architecture, bool gpu, (int Width, int Height)? targetImage)
    {
        var choice = dials.InputSize is { } given
            ? new InputSizeChoice(given, sourceSize, null, $"{given} px: given (the source's own size is {sourceSize} px)")
            : ByRule(dials.InputSizeRule, sourceSize, gpu, targetImage);
        var minimum = Architectures.Get(architecture).MinInputSize;
        if (choice.Size < minimum)
            throw new BadInputException(
                $"transfer.inputSize: {architecture} needs inputs of at least {minimum} px (got {choice.Size}); its downsampling would leave nothing to pool.");
        return choice;
    }

    /// <summary>
    /// What a form says about the dial before anything runs: the size these dials give for <paramref name="source"/> on this
    /// lab's devices (or why that size cannot run), then the speed/accuracy trade-off with the measured numbers.
    /// </summary>
    public static string Describe(TransferDials dials, Checkpoints.CheckpointInfo? source, bool gpu, (int Width, int Height)? targetImage)
    {
        if (source is null)
            return "Choose a source to see the size its rule gives. " + TradeOff;
        try
        {
            var choice = Choose(dials, source.InputSize, source.Architecture, gpu, targetImage);
            return $"{choice.Reason} on this lab's {(gpu ? "GPU" : "CPU")} workers. {TradeOff}";
        }
        catch (BadInputException e)
        {
            return e.Message;
        }
    }

    /// <summary>The speed/accuracy trade-off in words, with <see cref="Measured"/>.</summary>
    public static string TradeOff
    {
        get
        {
            var m = Measured;
            var f = CultureInfo.InvariantCulture;
            return $"Compute grows with pixels: {m.LargeSize} px is ({m.LargeSize}/{m.SmallSize})^2 = {WorkRatio(m.LargeSize, m.SmallSize).ToString("0.0", f)}x " +
                   $"the work of {m.SmallSize} px. Measured on {m.Machine}: {m.Model} trained {m.SmallStepsPerSecond.ToString("0.00", f)} steps/s at " +
                   $"{m.SmallSize} px and {m.LargeStepsPerSecond.ToString("0.00", f)} at {m.LargeSize} px (batch {m.Batch}), {m.Slowdown.ToString("0.0", f)}x " +
                   $"slower. A larger input keeps more detail and is the size ImageNet features were learned at; on a CPU a small target rarely repays it.";
        }
    }

    private static InputSizeChoice ByRule(InputSizeRule rule, int sourceSize, bool gpu, (int Width, int Height)? targetImage)
    {
        switch (rule)
        {
            case InputSizeRule.Source:
                return new(sourceSize, sourceSize, rule, $"{sourceSize} px: the source's own size");
            case InputSizeRule.Bit when targetImage is { } image:
            {
                int size = Bit(sourceSize, image.Width, image.Height);
                var why = sourceSize <= CpuSize ? $"the source's own size (BiT's rule resizes only for sources above {CpuSize} px)"
                    : $"BiT-HyperRule for {image.Width}x{image.Height} px target images ({(size == BitSmallSize ? "under" : "at least")} 96x96)";
                return new(size, sourceSize, rule, $"{size} px: {why}");
            }
            default:
            {
                int size = Auto(sourceSize, gpu);
                var unknown = rule == InputSizeRule.Bit ? "BiT's rule needs the target's image size, which is not known here; " : "";
                var why = sourceSize <= CpuSize ? $"the source's own size (the auto rule never resizes a source of {CpuSize} px or less)"
                    : gpu ? $"the source's own size on a GPU (the auto rule uses {CpuSize} px on a CPU)"
                    : $"the auto rule on a CPU (the source's own {sourceSize} px on a GPU; {WorkRatio(sourceSize, size).ToString("0.0", CultureInfo.InvariantCulture)}x the compute)";
                return new(size, sourceSize, rule == InputSizeRule.Bit ? InputSizeRule.Auto : rule, $"{size} px: {unknown}{why}");
            }
        }
    }

    /// <summary>
    /// The typical size of a target's images: the catalogue's figure, or the median of the first images' headers of a
    /// folder or zip (read without decoding pixels); null for other formats.
    /// </summary>
    public static (int Width, int Height)? TargetImageSize(string reference)
    {
        if (DatasetCatalog.BuiltIn.Find(reference) is { } entry)
            return (entry.Image.Width, entry.Image.Height);
        bool folder = Directory.Exists(reference);
        if (!folder && !File.Exists(reference) || folder && IdxLayout.TryFind(reference) is not null)
            return null;
        try
        {
            using var archive = ImageArchive.Open(reference);
            var sizes = archive.Entries
                .Where(e => ImageDecoder.Extensions.Contains(Path.GetExtension(e.Path)))
                .OrderBy(e => e.Path, StringComparer.Ordinal).Take(32)
                .Select(e => SKCodec.Create(new MemoryStream(e.ReadAll())) is { } codec ? Header(codec) : (0, 0))
                .Where(s => s.Item1 > 0).ToList();
            if (sizes.Count == 0)
                return null;
            return (sizes.Select(s => s.Item1).Order().ElementAt(sizes.Count / 2), sizes.Select(s => s.Item2).Order().ElementAt(sizes.Count / 2));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or BadInputException or UnauthorizedAccessException)
        {
            return null; // the loader reports what is wrong with the dataset itself
        }
    }

    private static (int, int) Header(SKCodec codec)
    {
        using (codec)
            return (codec.Info.Width, codec.Info.Height);
    }
}
