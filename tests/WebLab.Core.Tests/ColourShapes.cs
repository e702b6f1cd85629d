using SkiaSharp;
using TorchSharp;
using WebLab.Data;

namespace WebLab.Tests;

/// <summary>
/// A small colour target drawn deterministically with SkiaSharp: one object per image (disc, square, triangle or star)
/// in a random colour, size, position and rotation, over a random two-colour gradient with a few random strokes of
/// clutter. What separates the classes is shape, not colour, so a probe has to use features beyond colour statistics.
/// </summary>
public static class ColourShapes
{
    public static IReadOnlyList<string> Classes { get; } = ["disc", "square", "triangle", "star"];

    /// <summary><paramref name="perClass"/> images of each class at <paramref name="size"/> px, labels in class order.</summary>
    public static LabeledImages Make(int perClass, int size, int seed)
    {
        var rng = new Random(seed);
        int n = perClass * Classes.Count;
        var pixels = new byte[n * 3 * size * size];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % Classes.Count;
            Render(labels[i], size, rng, pixels.AsSpan(i * 3 * size * size, 3 * size * size));
        }
        return new LabeledImages(torch.tensor(pixels, [n, 3, size, size], torch.ScalarType.Byte), labels, Classes,
            [.. Enumerable.Range(0, n).Select(i => $"shape-{seed}-{i}")]);
    }

    private static void Render(int label, int size, Random rng, Span<byte> chw)
    {
        using var bitmap = new SKBitmap(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var background = new SKPaint();
            background.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(size, size * (float)rng.NextDouble()),
                [RandomColour(rng), RandomColour(rng)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, size, size, background);
            using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = size / 60f };
            for (int k = 0; k < 4; k++)
            {
                stroke.Color = RandomColour(rng);
                canvas.DrawLine(Next(rng, size), Next(rng, size), Next(rng, size), Next(rng, size), stroke);
            }
            float radius = size * (0.18f + 0.17f * (float)rng.NextDouble());
            canvas.Translate(radius + (size - 2 * radius) * (float)rng.NextDouble(), radius + (size - 2 * radius) * (float)rng.NextDouble());
            canvas.RotateDegrees(360 * (float)rng.NextDouble());
            using var fill = new SKPaint { IsAntialias = true, Color = RandomColour(rng) };
            using var path = Shape(label, radius);
            canvas.DrawPath(path, fill);
        }
        int plane = size * size;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                var c = bitmap.GetPixel(x, y);
                chw[y * size + x] = c.Red;
                chw[plane + y * size + x] = c.Green;
                chw[2 * plane + y * size + x] = c.Blue;
            }
        }
    }

    private static SKPath Shape(int label, float r)
    {
        var path = new SKPath();
        switch (label)
        {
            case 0:
                path.AddCircle(0, 0, r);
                break;
            case 1:
                path.AddRect(new SKRect(-r * 0.8f, -r * 0.8f, r * 0.8f, r * 0.8f));
                break;
            default:
                int points = label == 2 ? 3 : 10;
                for (int i = 0; i < points; i++)
                {
                    double angle = 2 * Math.PI * i / points;
                    float radius = label == 3 && i % 2 == 1 ? r * 0.4f : r;
                    var point = new SKPoint(radius * (float)Math.Cos(angle), radius * (float)Math.Sin(angle));
                    if (i == 0)
                        path.MoveTo(point);
                    else
                        path.LineTo(point);
                }
                path.Close();
                break;
        }
        return path;
    }

    private static SKColor RandomColour(Random rng) => new((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));

    private static float Next(Random rng, int size) => (float)(rng.NextDouble() * size);
}
