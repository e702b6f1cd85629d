using TorchSharp;
using WebLab.Checkpoints;
using static TorchSharp.torch;

namespace WebLab.Data;

/// <summary>Train-time crop: none, random crop after zero padding (small images), random-resized crop, or BiT's precrop.</summary>
public enum CropAugment
{
    None,
    Pad,
    ResizedCrop,

    /// <summary>
    /// BiT's code (bit_pytorch/train.py): the whole image resized to a larger square (<see cref="Augmentation.PrecropSize"/>: 160 for 128,
    /// 512 for 480), then a random window of the input size; evaluation resizes the whole image to the input size.
    /// </summary>
    Precrop,
}

/// <summary>Train-time augmentation. Evaluation never augments.</summary>
/// <param name="Crop">Crop style.</param>
/// <param name="Flip">Random horizontal flip (off for digits and text).</param>
/// <param name="Padding">Pixels of zero padding for <see cref="CropAugment.Pad"/>.</param>
/// <param name="MinScale">Smallest area fraction for <see cref="CropAugment.ResizedCrop"/>.</param>
public sealed record Augmentation(CropAugment Crop = CropAugment.Pad, bool Flip = true, int Padding = 4, double MinScale = 0.35)
{
    /// <summary>
    /// The square <see cref="CropAugment.Precrop"/> resizes to before cropping <paramref name="inputSize"/>: BiT's code has 160 for 128 and
    /// 512 for 480 only; smaller inputs keep 128's proportion (5/4, so a 28 px source crops from 35), larger ones 480's margin of 32 px.
    /// </summary>
    public static int PrecropSize(int inputSize) => inputSize <= 128 ? (int)Math.Round(inputSize * 1.25) : inputSize + 32;

    public static Augmentation Off { get; } = new(CropAugment.None, false);

    /// <summary><paramref name="crop"/>, or by default the usual choice for a tile size: pad-and-crop below 64 px, random-resized crop above.</summary>
    public static Augmentation For(int inputSize, bool flip, CropAugment? crop = null) =>
        new(crop ?? (inputSize < 64 ? CropAugment.Pad : CropAugment.ResizedCrop), flip);

    /// <summary>What evaluation uses with this augmentation: nothing random; the whole image resized under <see cref="CropAugment.Precrop"/>, else the centre.</summary>
    public Augmentation ForEvaluation() => Crop == CropAugment.Precrop ? new(CropAugment.Precrop, Flip: false) : Off;
}

/// <summary>
/// Turns cached uint8 tiles [B, C, S, S] into model input [B, C', N, N]: channel conversion (grey to RGB by
/// repetition, RGB to grey by luma), crop to the input size (centre for evaluation, random for training),
/// flip, and the checkpoint's input encoding: channel order, pixel scale, per-pixel mean image, then its mean and std.
/// </summary>
/// <param name="Encoding">Channel order, pixel scale and whether <paramref name="MeanImage"/> applies; null is torchvision's.</param>
/// <param name="MeanImage">The checkpoint's mean image [C, H, W] (CPU); resized bilinearly when it is not InputSize square.</param>
public sealed record ImageTransform(int InputSize, int Channels, float[] Mean, float[] Std, Augmentation Augment,
    InputEncoding? Encoding = null, Tensor? MeanImage = null)
{
    // ITU-R BT.601 luma weights, as PIL's convert("L").
    private static readonly float[] s_luma = [0.299f, 0.587f, 0.114f];

    /// <summary>Cache tile size for an input size: a margin for random-resized crops from 64 px up (256 for 224).</summary>
    public static int CacheSizeFor(int inputSize) => inputSize < 64 ? inputSize : (int)Math.Round(inputSize * 8 / 7.0);

    /// <summary>The transform a loaded checkpoint's model expects, with <paramref name="augment"/> for training.</summary>
    public static ImageTransform For(LoadedCheckpoint checkpoint, Augmentation augment)
    {
        var info = checkpoint.Info;
        return new ImageTransform(info.InputSize, info.Channels, info.Mean, info.Std, augment, info.Encoding, checkpoint.MeanImage);
    }

    /// <summary>Applies the transform. <paramref name="rng"/> drives augmentation; null means evaluation.</summary>
    public Tensor Apply(Tensor tiles, Random? rng)
    {
        if (Mean.Length != Channels || Std.Length != Channels)
            throw new InvalidOperationException($"mean/std must have {Channels} values");
        using var scope = torch.NewDisposeScope();
        var encoding = Encoding ?? InputEncoding.Default;
        // A Scalar of our own (see Scalars): the common scale 1 shares the process-wide one.
        using var owned = encoding.PixelScale == 1 ? null : (255f / encoding.PixelScale).ToScalar();
        var toScale = owned ?? Scalars.ByteMax;
        // Training crops, resizes and flips the cached bytes, so the float tensor is made at the input size only.
        var x = rng is null || Augment.Crop == CropAugment.None && !Augment.Flip
            ? EvaluationFit(MatchChannels(tiles.to(ScalarType.Float32).div_(toScale)))
            : MatchChannels(Augmented(tiles, rng).to(ScalarType.Float32).div_(toScale));
        if (encoding.ChannelOrder == ChannelOrder.Bgr && Channels == 3)
            x = x.flip(1);
        if (encoding.MeanImage)
            x = x.sub(MeanImageAtInputSize());
        var mean = torch.tensor(Mean).reshape(1, Channels, 1, 1);
        var std = torch.tensor(Std).reshape(1, Channels, 1, 1);
        return x.sub_(mean).div_(std).MoveToOuterDisposeScope();
    }

    // Exact at the image's own size; at another size the bilinear resize is this transform's definition of the mean there.
    private Tensor MeanImageAtInputSize()
    {
        if (MeanImage is null)
            throw new InvalidOperationException("the encoding subtracts a mean image but none was given");
        if (MeanImage.shape[0] != Channels)
            throw new InvalidOperationException($"the mean image has {MeanImage.shape[0]} channels; the model takes {Channels}");
        var image = MeanImage.unsqueeze(0);
        return Resize(image, InputSize);
    }

    private Tensor MatchChannels(Tensor x)
    {
        long c = x.shape[1];
        if (c == Channels)
            return x;
        if (c == 1)
            return x.expand(-1, Channels, -1, -1).contiguous();
        if (c == 3 && Channels == 1)
        {
            var luma = torch.tensor(s_luma).reshape(1, 3, 1, 1);
            return x.mul(luma).sum(1, keepdim: true);
        }
        throw new BadInputException($"Images have {c} channels; the model expects {Channels}.");
    }

    private Tensor EvaluationFit(Tensor x) => Augment.Crop == CropAugment.Precrop ? Resize(x, InputSize) : CenterFit(x);

    private static Tensor Resize(Tensor x, int size) => x.shape[2] == size && x.shape[3] == size ? x
        : torch.nn.functional.interpolate(x, [size, size], mode: InterpolationMode.Bilinear, align_corners: false);

    private Tensor CenterFit(Tensor x)
    {
        long size = x.shape[2];
        if (x.shape[2] == InputSize && x.shape[3] == InputSize)
            return x;
        if (size > InputSize && x.shape[3] == size)
        {
            long offset = (size - InputSize) / 2;
            return x.narrow(2, offset, InputSize).narrow(3, offset, InputSize);
        }
        return Resize(x, InputSize);
    }

    // Augmentation works on the cached bytes before the float conversion: a quarter of the memory traffic of floats
    // (the loader shares the trainer's cores and caches). Crops are drawn for the whole batch first, then flips.
    private Tensor Augmented(Tensor tiles, Random rng)
    {
        long b = tiles.shape[0];
        var crops = Augment.Crop switch
        {
            CropAugment.ResizedCrop => ResizedCrops(tiles, rng),
            CropAugment.Pad => PadCrops(CenterFit(tiles), rng),
            CropAugment.Precrop => RandomWindows(Resize(tiles, Augmentation.PrecropSize(InputSize)), rng),
            _ => CenterFit(tiles).unbind(0),
        };
        var result = torch.stack(crops);
        if (!Augment.Flip)
            return result;
        var flips = Enumerable.Range(0, (int)b).Select(_ => rng.Next(2) == 1).ToArray();
        var mask = torch.tensor(flips).reshape(b, 1, 1, 1);
        return torch.where(mask, result.flip(3), result);
    }

    // A random window of the zero-padded tile per image.
    private Tensor[] PadCrops(Tensor fitted, Random rng)
    {
        int p = Augment.Padding;
        return RandomWindows(p > 0 ? torch.nn.functional.pad(fitted, [p, p, p, p]) : fitted, rng);
    }

    // A random input-size window per image of a batch larger than the input.
    private Tensor[] RandomWindows(Tensor larger, Random rng)
    {
        long span = larger.shape[2] - InputSize;
        var crops = new Tensor[larger.shape[0]];
        for (int i = 0; i < crops.Length; i++)
        {
            long dy = rng.Next((int)span + 1), dx = rng.Next((int)span + 1);
            crops[i] = larger[i].narrow(1, dy, InputSize).narrow(2, dx, InputSize);
        }
        return crops;
    }

    // torchvision's RandomResizedCrop on the cached bytes: per image a box inside the tile with a random area fraction in
    // [MinScale, 1] and aspect ratio in [3/4, 4/3], resized to the input size (bilinear). Working on uint8 before the
    // float conversion moves a quarter of the bytes a float pipeline would (the loader shares the trainer's cores and
    // caches), and uint8 bilinear resizing has libtorch's vectorised kernel.
    private Tensor[] ResizedCrops(Tensor tiles, Random rng)
    {
        long height = tiles.shape[2], width = tiles.shape[3];
        var crops = new Tensor[tiles.shape[0]];
        for (int i = 0; i < crops.Length; i++)
        {
            double area = Augment.MinScale + rng.NextDouble() * (1 - Augment.MinScale);
            double ratio = Math.Exp(Math.Log(3.0 / 4) + rng.NextDouble() * (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)));
            long w = Math.Clamp((long)Math.Round(Math.Sqrt(area * ratio) * width), 1, width);
            long h = Math.Clamp((long)Math.Round(Math.Sqrt(area / ratio) * height), 1, height);
            long left = (long)Math.Round(rng.NextDouble() * (width - w)), top = (long)Math.Round(rng.NextDouble() * (height - h));
            var box = tiles[i].narrow(1, top, h).narrow(2, left, w).unsqueeze(0);
            crops[i] = torch.nn.functional.interpolate(box, [InputSize, InputSize], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0);
        }
        return crops;
    }
}
