using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace WebLab.Tests;

/// <summary>A temporary folder deleted with the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "weblab-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string relative)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Real encoded images and IDX files written by tests.</summary>
public static class TestFiles
{
    /// <summary>An image whose pixels depend on (seed, x, y); grey when <paramref name="gray"/>.</summary>
    public static byte[] Image(int width, int height, int seed, SKEncodedImageFormat format = SKEncodedImageFormat.Png, bool gray = false)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte r = (byte)((x * 7 + seed * 31) % 256), g = (byte)((y * 5 + seed * 17) % 256), b = (byte)((x + y + seed * 13) % 256);
                bitmap.SetPixel(x, y, gray ? new SKColor(r, r, r) : new SKColor(r, g, b));
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        return data.ToArray();
    }

    /// <summary>Writes an IDX file of unsigned bytes.</summary>
    public static byte[] Idx(int[] shape, byte[] data, bool gzip = false)
    {
        using var raw = new MemoryStream();
        raw.Write([0, 0, 0x08, (byte)shape.Length]);
        Span<byte> dim = stackalloc byte[4];
        foreach (var d in shape)
        {
            BinaryPrimitives.WriteInt32BigEndian(dim, d);
            raw.Write(dim);
        }
        raw.Write(data);
        if (!gzip)
            return raw.ToArray();
        using var packed = new MemoryStream();
        using (var zip = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true))
            zip.Write(raw.ToArray());
        return packed.ToArray();
    }

    /// <summary>A class-folder tree: classes x perClass PNGs (optionally under a wrapping folder).</summary>
    public static void ClassFolders(string root, string[] classes, int perClass, int size = 20, string prefix = "")
    {
        for (int c = 0; c < classes.Length; c++)
        {
            for (int i = 0; i < perClass; i++)
            {
                var path = System.IO.Path.Combine(root, prefix, classes[c], $"img{i}.png");
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, Image(size, size, c * 100 + i));
            }
        }
    }

    /// <summary>Builds a zip in memory from (entry name, bytes) pairs and returns it written to <paramref name="path"/>.</summary>
    public static string Zip(string path, IEnumerable<(string Name, byte[] Data)> entries, Action<ZipArchiveEntry>? tweak = null)
    {
        using (var file = File.Create(path))
        using (var zip = new ZipArchive(file, ZipArchiveMode.Create))
        {
            foreach (var (name, data) in entries)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                tweak?.Invoke(entry);
                using var stream = entry.Open();
                stream.Write(data);
            }
        }
        return path;
    }
}
