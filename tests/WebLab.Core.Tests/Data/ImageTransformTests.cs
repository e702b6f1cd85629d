using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Data;
using static TorchSharp.torch;

namespace WebLab.Tests.Data;

public class ImageTransformTests
{
    private static Tensor Tiles(int batch, int channels, int size) =>
        torch.arange(batch * channels * size * size, ScalarType.Int64).remainder(251).to(ScalarType.Byte).reshape(batch, channels, size, size);

    [Fact]
    public void Apply_Normalises_WithCheckpointMeanAndStd()
    {
        using var tiles = torch.full([2, 1, 4, 4], 128, ScalarType.Byte);
        var transform = new ImageTransform(4, 1, [0.5f], [0.25f], Augmentation.Off);
        using var x = transform.Apply(tiles, null);
        Assert.Equal([2, 1, 4, 4], x.shape);
        Assert.Equal((128 / 255.0 - 0.5) / 0.25, x[0, 0, 0, 0].item<float>(), 5);
    }

    [Fact]
    public void Apply_BgrEncoding_SwapsChannels_Scales_AndSubtractsTheMeanImagePixelByPixel()
    {
        using var scope = torch.NewDisposeScope();
        var tiles = Tiles(1, 3, 4);
        var meanImage = torch.arange(3 * 4 * 4, ScalarType.Float32).reshape(3, 4, 4);
        var transform = new ImageTransform(4, 3, [1, 2, 3], [2, 2, 2], Augmentation.Off, new InputEncoding(ChannelOrder.Bgr, 255, MeanImage: true), meanImage);
        var x = transform.Apply(tiles, null);
        var expected = tiles.to(ScalarType.Float32).flip(1).sub(meanImage).sub(torch.tensor(new float[] { 1, 2, 3 }).reshape(1, 3, 1, 1)).div(2);
        Assert.True(x.allclose(expected, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void Apply_MeanImageOfAnotherSize_IsResizedToTheInput()
    {
        using var scope = torch.NewDisposeScope();
        var tiles = torch.full([1, 3, 2, 2], 100, ScalarType.Byte);
        var meanImage = torch.tensor(new float[] { 10, 20, 30 }).reshape(3, 1, 1).expand(3, 8, 8).contiguous();
        var transform = new ImageTransform(2, 3, [0, 0, 0], [1, 1, 1], Augmentation.Off, new InputEncoding(ChannelOrder.Rgb, 255, MeanImage: true), meanImage);
        var x = transform.Apply(tiles, null);
        Assert.Equal([90f, 80f, 70f], [.. x[0, .., 0, 0].data<float>()]);
    }

    [Fact]
    public void Apply_GreyToRgb_RepeatsTheChannel()
    {
        using var tiles = Tiles(2, 1, 6);
        var transform = new ImageTransform(6, 3, [0, 0, 0], [1, 1, 1], Augmentation.Off);
        using var x = transform.Apply(tiles, null);
        Assert.Equal([2, 3, 6, 6], x.shape);
        Assert.True(Tensors.Same(x[.., 0], x[.., 2]));
    }

    [Fact]
    public void Apply_RgbToGrey_UsesLumaWeights()
    {
        using var tiles = torch.tensor(new byte[] { 255, 0, 0 }, [1, 3, 1, 1]);
        var transform = new ImageTransform(1, 1, [0], [1], Augmentation.Off);
        using var x = transform.Apply(tiles, null);
        Assert.Equal(0.299f, x.item<float>(), 5);
    }

    [Fact]
    public void Apply_Evaluation_CentreCropsLargerTiles()
    {
        using var tiles = Tiles(1, 1, 8);
        var transform = new ImageTransform(4, 1, [0], [1], Augmentation.Off);
        using var x = transform.Apply(tiles, null);
        using var expected = tiles[.., .., 2..6, 2..6].to(ScalarType.Float32).div(255);
        Assert.True(x.allclose(expected));
    }

    [Fact]
    public void Apply_PadCrop_IsSeeded_AndEveryCropIsAWindowOfThePaddedImage()
    {
        using var tiles = Tiles(16, 1, 8);
        var transform = new ImageTransform(8, 1, [0], [1], new Augmentation(CropAugment.Pad, Flip: false, Padding: 2));
        using var a = transform.Apply(tiles, new Random(7));
        using var b = transform.Apply(tiles, new Random(7));
        using var c = transform.Apply(tiles, new Random(8));
        Assert.True(Tensors.Same(a, b));
        Assert.False(Tensors.Same(a, c));
        using var padded = torch.nn.functional.pad(tiles.to(ScalarType.Float32).div(255), [2, 2, 2, 2]);
        for (int i = 0; i < 16; i++)
        {
            bool found = false;
            for (int dy = 0; dy <= 4 && !found; dy++)
                for (int dx = 0; dx <= 4 && !found; dx++)
                    found = padded[i, .., dy..(dy + 8), dx..(dx + 8)].allclose(a[i]);
            Assert.True(found, $"sample {i} is not a crop of its padded tile");
        }
    }

    [Fact]
    public void Apply_Flip_MirrorsSomeSamplesExactly()
    {
        using var tiles = Tiles(32, 1, 5);
        var transform = new ImageTransform(5, 1, [0], [1], new Augmentation(CropAugment.None, Flip: true));
        using var x = transform.Apply(tiles, new Random(1));
        using var plain = tiles.to(ScalarType.Float32).div(255);
        int flipped = 0;
        for (int i = 0; i < 32; i++)
        {
            bool same = x[i].allclose(plain[i]), mirrored = x[i].allclose(plain[i].flip(2));
            Assert.True(same || mirrored);
            if (mirrored)
                flipped++;
        }
        Assert.InRange(flipped, 6, 26);
    }

    [Fact]
    public void Apply_ResizedCrop_ResizesARandomBoxOfTheTile_ThenFlips()
    {
        // Every row of a tile is the same ramp: column x holds 3x + c in channel c.
        const int batch = 16, size = 73;
        var ramp = new byte[batch * 3 * size * size];
        for (int i = 0; i < ramp.Length; i++)
            ramp[i] = (byte)(3 * (i % size) + i / (size * size) % 3);
        using var tiles = torch.tensor(ramp, [batch, 3, size, size]);
        var transform = new ImageTransform(64, 3, [0, 0, 0], [1, 1, 1], Augmentation.For(64, flip: true));
        Assert.Equal(CropAugment.ResizedCrop, transform.Augment.Crop);
        using var x = transform.Apply(tiles, new Random(3));
        using var again = transform.Apply(tiles, new Random(3));
        Assert.Equal([batch, 3, 64, 64], x.shape);
        Assert.True(Tensors.Same(x, again));

        using var bytes = x.mul(255).round().to(ScalarType.Int32);
        int flipped = 0;
        double narrowest = double.MaxValue;
        for (int i = 0; i < batch; i++)
        {
            var row = bytes[i, 0, 0].data<int>().ToArray();
            // Rows stay identical (a box of identical rows), channels keep their offset, and the row is the ramp over
            // the box: monotone, rising unless flipped.
            Assert.True(Tensors.Same(bytes[i, .., 0], bytes[i, .., 63]));
            Assert.True(Tensors.Same(bytes[i, 1, 0], bytes[i, 0, 0] + 1));
            bool rising = row.Zip(row.Skip(1)).All(p => p.Second >= p.First), falling = row.Zip(row.Skip(1)).All(p => p.Second <= p.First);
            Assert.True(rising || falling, $"sample {i} is not a resized box of the ramp");
            if (falling && !rising)
                flipped++;
            int span = row.Max() - row.Min();
            Assert.InRange(span, 1, 3 * (size - 1));
            narrowest = Math.Min(narrowest, span);
        }
        Assert.InRange(flipped, 2, batch - 2);
        // Boxes cover at least MinScale of the area with aspect ratio at most 4/3, so no box is narrower than
        // sqrt(0.35 x 3/4) of the tile: about 37 of 73 columns, a ramp span of about 100.
        Assert.True(narrowest >= 90, $"a box spans only {narrowest} ramp units");
        Assert.True(narrowest < 3 * (size - 1), "every box was the whole tile");
    }

    [Fact]
    public void Apply_Precrop_TrainsOnWindowsOfTheResizedImage_AndEvaluatesTheWholeImageResized()
    {
        // BiT's 160 -> 128 in small: a 10 px tile is already the precrop size of an 8 px input, so every crop is an exact window.
        Assert.Equal(10, Augmentation.PrecropSize(8));
        using var tiles = Tiles(16, 1, 10);
        var transform = new ImageTransform(8, 1, [0], [1], new Augmentation(CropAugment.Precrop, Flip: false));
        using var a = transform.Apply(tiles, new Random(3));
        using var whole = tiles.to(ScalarType.Float32).div(255);
        var offsets = new HashSet<(int, int)>();
        for (int i = 0; i < 16; i++)
        {
            var found = Enumerable.Range(0, 3).SelectMany(dy => Enumerable.Range(0, 3).Select(dx => (dy, dx)))
                .Where(o => whole[i, .., o.dy..(o.dy + 8), o.dx..(o.dx + 8)].allclose(a[i])).ToList();
            Assert.True(found.Count > 0, $"sample {i} is not a window of its tile");
            offsets.Add(found[0]);
        }
        Assert.True(offsets.Count > 1, "every sample took the same window");

        using var evaluated = transform.Apply(tiles, null);
        using var resized = torch.nn.functional.interpolate(whole, [8, 8], mode: InterpolationMode.Bilinear, align_corners: false);
        Assert.True(evaluated.allclose(resized, atol: 1e-6)); // the whole image, not its centre
        Assert.Equal(CropAugment.Precrop, transform.Augment.ForEvaluation().Crop);
        Assert.False(transform.Augment.ForEvaluation().Flip);
    }

    [Fact]
    public void PrecropSize_IsBitsForItsSizes_AndProportionalBelow()
    {
        Assert.Equal(160, Augmentation.PrecropSize(128));
        Assert.Equal(512, Augmentation.PrecropSize(480));
        Assert.Equal(256, Augmentation.PrecropSize(224));
        Assert.Equal(35, Augmentation.PrecropSize(28));
    }

    [Fact]
    public void CacheSize_AddsMarginFrom64px()
    {
        Assert.Equal(28, ImageTransform.CacheSizeFor(28));
        Assert.Equal(256, ImageTransform.CacheSizeFor(224));
    }
}
