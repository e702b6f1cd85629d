using System.Globalization;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Data;

/// <summary>
/// A colour target made from two Debian packages: emoji of Unicode's nature and food subgroups (emoji-test.txt from
/// unicode-data gives the labels) drawn with Noto Color Emoji (fonts-noto-color-emoji, a CBDT bitmap font) by SkiaSharp,
/// each image at a random size, position, rotation and background. The classes are the subgroups, so an image's label is
/// what kind of thing it shows (a mammal, a bird, a fruit...), not which emoji. Deterministic: the same files give the
/// same images at a given size.
/// </summary>
public static class EmojiNature
{
    /// <summary>Images drawn per class (cycling through the subgroup's emoji).</summary>
    public const int PerClass = 60;

    private const int Seed = 20261202;

    /// <summary>Renders the dataset at the loader's image size (64 px when it gives none).</summary>
    internal static LoadedDataset Load(CatalogEntry entry, string font, string emojiTest, DatasetLoadOptions options)
    {
        var classes = entry.ClassNames ?? throw new BadInputException($"{entry.Id}: datasets.json must list the emoji subgroups as class names.");
        int size = options.ImageSize ?? DatasetLoader.DefaultFolderImageSize;
        using var typeface = SKTypeface.FromFile(font) ?? throw new BadInputException($"{font}: SkiaSharp cannot read this font.");
        var bySubgroup = Subgroups(emojiTest, classes.ToHashSet(StringComparer.Ordinal), typeface);
        var empty = classes.FirstOrDefault(c => bySubgroup.GetValueOrDefault(c) is not { Count: > 0 });
        if (empty is not null)
            throw new BadInputException($"{emojiTest}: no emoji of subgroup '{empty}' that {Path.GetFileName(font)} can draw.");

        int n = PerClass * classes.Count;
        var pixels = new byte[(long)n * 3 * size * size];
        var labels = new int[n];
        var ids = new string[n];
        var rng = new Random(Seed);
        for (int i = 0; i < n; i++)
        {
            int label = i % classes.Count, k = i / classes.Count;
            var emoji = bySubgroup[classes[label]][k % bySubgroup[classes[label]].Count];
            Draw(emoji, typeface, size, rng, pixels.AsSpan(i * 3 * size * size, 3 * size * size));
            labels[i] = label;
            ids[i] = $"{classes[label]}#{k}";
        }
        var images = new LabeledImages(torch.tensor(pixels, [n, 3, size, size], ScalarType.Byte), labels, classes, ids);
        return new LoadedDataset(entry.Name, images, null, null, [], entry, entry.Flip);
    }

    /// <summary>
    /// The fully-qualified single emoji (one code point, optionally with U+FE0F) of each wanted subgroup that the font
    /// has a glyph for. ZWJ sequences and skin-tone variants are left out: drawing them needs text shaping.
    /// </summary>
    internal static Dictionary<string, List<string>> Subgroups(string emojiTest, IReadOnlySet<string> wanted, SKTypeface typeface)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string? subgroup = null;
        foreach (var line in File.ReadLines(emojiTest))
        {
            if (line.StartsWith("# subgroup:", StringComparison.Ordinal))
            {
                subgroup = line["# subgroup:".Length..].Trim();
                continue;
            }
            if (subgroup is null || !wanted.Contains(subgroup) || line.StartsWith('#') || !line.Contains("; fully-qualified", StringComparison.Ordinal))
                continue;
            var points = line[..line.IndexOf(';', StringComparison.Ordinal)].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => int.Parse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).Where(p => p != 0xFE0F).ToList();
            if (points.Count != 1)
                continue;
            var emoji = char.ConvertFromUtf32(points[0]);
            if (typeface.GetGlyphs(emoji).All(g => g != 0))
                (result.TryGetValue(subgroup, out var list) ? list : result[subgroup] = []).Add(emoji);
        }
        return result;
    }

    // One emoji at 35-80 % of the tile, anywhere it fits, turned up to 30 degrees, over a two-colour gradient.
    private static void Draw(string emoji, SKTypeface typeface, int size, Random rng, Span<byte> chw)
    {
        using var bitmap = new SKBitmap(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var background = new SKPaint();
            background.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(size * (float)rng.NextDouble(), size),
                [Colour(rng), Colour(rng)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, size, size, background);
            float glyph = size * (0.35f + 0.45f * (float)rng.NextDouble());
            using var paint = new SKPaint { IsAntialias = true, Typeface = typeface, TextSize = glyph };
            var bounds = new SKRect();
            paint.MeasureText(emoji, ref bounds);
            float margin = (size - glyph) / 2;
            canvas.Translate(size / 2f + margin * (2 * (float)rng.NextDouble() - 1), size / 2f + margin * (2 * (float)rng.NextDouble() - 1));
            canvas.RotateDegrees(60 * (float)rng.NextDouble() - 30);
            canvas.DrawText(emoji, -bounds.MidX, -bounds.MidY, paint);
        }
        var rgba = bitmap.GetPixelSpan();
        int plane = size * size;
        for (int p = 0; p < plane; p++)
        {
            chw[p] = rgba[4 * p];
            chw[plane + p] = rgba[4 * p + 1];
            chw[2 * plane + p] = rgba[4 * p + 2];
        }
    }

    private static SKColor Colour(Random rng) => new((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
}
