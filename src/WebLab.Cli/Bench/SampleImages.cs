using System.IO.Compression;
using SkiaSharp;
using WebLab.Data;

namespace WebLab.Cli.Bench;

/// <summary>The pipeline benchmark's inputs: zips of class folders, as people upload them.</summary>
internal static class SampleImages
{
    /// <summary>
    /// A zip of 28 px greyscale PNGs in class folders, re-encoded from Fashion-MNIST's training images
    /// (the first <paramref name="count"/>); returns the zip's path.
    /// </summary>
    public static string FashionMnistPngs(string folder, int count, bool noInstall)
    {
        var path = Path.Combine(folder, $"fashion-mnist-{count}-png.zip");
        if (File.Exists(path))
            return path;
        using var dataset = DatasetLoader.Load("fashion-mnist", new DatasetLoadOptions(28, Files: Cli.Files(noInstall)));
        int n = Math.Min(count, dataset.Train.Count);
        using var images = dataset.Train.ReadRange(0, n);
        var pixels = images.data<byte>().ToArray();
        using var zip = ZipFile.Open(path + ".tmp", ZipArchiveMode.Create);
        for (int i = 0; i < n; i++)
        {
            using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
            System.Runtime.InteropServices.Marshal.Copy(pixels, i * 28 * 28, bitmap.GetPixels(), 28 * 28);
            Add(zip, $"fmnist/{dataset.ClassNames[dataset.Train.Labels[i]]}/{i:D5}.png", bitmap, SKEncodedImageFormat.Png, 100);
        }
        zip.Dispose();
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    /// <summary>
    /// A zip of <paramref name="count"/> photo-sized JPEGs (500x375, quality 90) in 10 class folders: smooth shapes
    /// plus sensor-like noise, so they compress like photographs rather than flat colour.
    /// </summary>
    public static string PhotoJpegs(string folder, int count)
    {
        var path = Path.Combine(folder, $"photos-{count}-jpeg.zip");
        if (File.Exists(path))
            return path;
        var rng = new Random(7);
        using var zip = ZipFile.Open(path + ".tmp", ZipArchiveMode.Create);
        for (int i = 0; i < count; i++)
        {
            using var bitmap = new SKBitmap(new SKImageInfo(500, 375, SKColorType.Rgba8888, SKAlphaType.Opaque));
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(RandomColor(rng));
                for (int s = 0; s < 12; s++)
                {
                    using var paint = new SKPaint { Color = RandomColor(rng), IsAntialias = true };
                    canvas.DrawCircle(rng.Next(500), rng.Next(375), 20 + rng.Next(120), paint);
                }
            }
            var pixels = bitmap.GetPixelSpan().ToArray();
            for (int b = 0; b < pixels.Length; b++)
            {
                if ((b & 3) != 3)
                    pixels[b] = (byte)Math.Clamp(pixels[b] + rng.Next(-12, 13), 0, 255);
            }
            System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
            Add(zip, $"photos/class{i % 10}/{i:D5}.jpg", bitmap, SKEncodedImageFormat.Jpeg, 90);
        }
        zip.Dispose();
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    /// <summary>
    /// A zip of <paramref name="count"/> square JPEGs (quality 85) in 10 class folders, made in parallel: a class hue behind
    /// random discs plus sensor-like noise. Big enough to be a real dataset, cheap enough to generate (about 15 KB each at 224 px).
    /// </summary>
    public static string GeneratedJpegs(string folder, int count, int size)
    {
        var path = Path.Combine(folder, $"generated-{count}-{size}px-jpeg.zip");
        if (File.Exists(path))
            return path;
        using (var zip = ZipFile.Open(path + ".tmp", ZipArchiveMode.Create))
        {
            const int chunk = 1024;
            var encoded = new byte[chunk][];
            for (int start = 0; start < count; start += chunk)
            {
                int n = Math.Min(chunk, count - start);
                Parallel.For(0, n, k => encoded[k] = GeneratedJpeg(start + k, size));
                for (int k = 0; k < n; k++)
                {
                    using var stream = zip.CreateEntry($"generated/class{(start + k) % 10}/{start + k:D6}.jpg", CompressionLevel.NoCompression).Open();
                    stream.Write(encoded[k]);
                }
                if (start / chunk % 10 == 0)
                    Console.Error.WriteLine($"  generated {start + n}/{count}");
            }
        }
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    private static byte[] GeneratedJpeg(int index, int size)
    {
        var rng = new Random(index);
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColor.FromHsv(index % 10 * 36 + rng.Next(-8, 9), 40 + rng.Next(40), 40 + rng.Next(50)));
            for (int s = 0; s < 6; s++)
            {
                using var paint = new SKPaint { Color = RandomColor(rng), IsAntialias = true };
                canvas.DrawCircle(rng.Next(size), rng.Next(size), size / 20 + rng.Next(size / 4), paint);
            }
        }
        var pixels = bitmap.GetPixelSpan().ToArray();
        for (int b = 0; b < pixels.Length; b++)
        {
            if ((b & 3) != 3)
                pixels[b] = (byte)Math.Clamp(pixels[b] + rng.Next(-10, 11), 0, 255);
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 85);
        return data.ToArray();
    }

    /// <summary>Every entry's bytes, read once (so decode timings exclude the zip).</summary>
    public static List<(string Name, byte[] Bytes)> ReadAll(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        return zip.Entries.Where(e => e.Length > 0).Select(e =>
        {
            using var stream = e.Open();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return (e.FullName, memory.ToArray());
        }).ToList();
    }

    private static SKColor RandomColor(Random rng) => new((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));

    private static void Add(ZipArchive zip, string name, SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        using var data = bitmap.Encode(format, quality);
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        data.SaveTo(stream);
    }
}
