using SkiaSharp;

namespace WebLab.Data;

/// <summary>
/// Decodes JPEG, PNG, BMP, WebP (and GIF's first frame) through SkiaSharp into a square RGB tile:
/// shorter side resized to the tile size, centre-cropped. JPEGs are DCT-scaled while decoding when
/// the tile is much smaller than the image.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Images with more pixels than this are refused (decompression-bomb guard).</summary>
    public const long MaxPixels = 100_000_000;

    /// <summary>File extensions WebLab treats as images.</summary>
    public static readonly IReadOnlySet<string> Extensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif" };

    /// <summary>Outcome of decoding one image into a tile.</summary>
    public readonly record struct Decoded(int SourceWidth, int SourceHeight, bool IsGray);

    /// <summary>
    /// Decodes <paramref name="encoded"/> into <paramref name="chw"/> (3 x size x size bytes, channel-major).
    /// Throws <see cref="BadInputException"/> naming <paramref name="name"/> for corrupt, truncated or unknown data.
    /// </summary>
    public static Decoded DecodeTile(byte[] encoded, string name, int size, Span<byte> chw)
    {
        if (chw.Length != 3 * size * size)
            throw new ArgumentException("destination must hold 3 x size x size bytes", nameof(chw));
        if (encoded.Length == 0)
            throw new BadInputException($"{name}: file is empty.");

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            throw new BadInputException($"{name}: not a readable image (unknown format or corrupt header).");
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > MaxPixels)
            throw new BadInputException($"{name}: image size {info.Width}x{info.Height} is not supported (at most {MaxPixels} pixels).");

        // Let the codec shrink while decoding (JPEG DCT scaling) as long as the short side stays >= size.
        float scale = Math.Min(1f, (float)size / Math.Min(info.Width, info.Height));
        var scaled = codec.GetScaledDimensions(scale);
        if (Math.Min(scaled.Width, scaled.Height) < size)
            scaled = new SKSizeI(info.Width, info.Height);

        var decodeInfo = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(decodeInfo);
        var result = codec.GetPixels(decodeInfo, bitmap.GetPixels());
        if (result == SKCodecResult.IncompleteInput || result == SKCodecResult.ErrorInInput)
            throw new BadInputException($"{name}: image data is truncated or corrupt ({result}).");
        if (result != SKCodecResult.Success)
            throw new BadInputException($"{name}: image could not be decoded ({result}).");

        using var tile = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(tile))
        using (var paint = new SKPaint { FilterQuality = SKFilterQuality.Medium, IsAntialias = true, BlendMode = SKBlendMode.Src })
        {
            int side = Math.Min(bitmap.Width, bitmap.Height);
            var source = SKRectI.Create((bitmap.Width - side) / 2, (bitmap.Height - side) / 2, side, side);
            canvas.DrawBitmap(bitmap, source, SKRect.Create(0, 0, size, size), paint);
        }

        var pixels = tile.GetPixelSpan();
        int plane = size * size;
        bool gray = true;
        for (int i = 0; i < plane; i++)
        {
            byte r = pixels[4 * i], g = pixels[4 * i + 1], b = pixels[4 * i + 2];
            chw[i] = r;
            chw[plane + i] = g;
            chw[2 * plane + i] = b;
            gray &= r == g && g == b;
        }
        return new Decoded(info.Width, info.Height, gray);
    }
}
