using System.Security.Cryptography;
using SkiaSharp;

namespace WebLab.Data;

/// <summary>One class of an ingested dataset: counts per split and thumbnail file names.</summary>
public sealed record ClassReport(string Name, int Train, int Val, int Test, IReadOnlyList<string> Thumbnails);

/// <summary>Pixel sizes of the original images (before WebLab's resize): min, median and max of width and height.</summary>
public sealed record ImageSizeStats(int MinWidth, int MedianWidth, int MaxWidth, int MinHeight, int MedianHeight, int MaxHeight, int Count);

/// <summary>Items with identical pixels (after decoding at <see cref="DatasetManifest.TileSize"/>).</summary>
public sealed record DuplicateGroup(IReadOnlyList<string> Items);

/// <summary>What ingesting a dataset found: classes, counts, sizes, duplicates, unreadable files and warnings.</summary>
public sealed record DatasetManifest(
    string Name,
    string Format,
    int Channels,
    int TileSize,
    IReadOnlyList<ClassReport> Classes,
    int TrainCount,
    int ValCount,
    int TestCount,
    ImageSizeStats? OriginalSizes,
    IReadOnlyList<DuplicateGroup> Duplicates,
    IReadOnlyList<DataProblem> Problems,
    IReadOnlyList<string> Warnings);

/// <summary>
/// Ingest: decodes every image of a dataset (checking that each one is readable), counts classes and splits,
/// finds exact duplicates, measures original image sizes, writes PNG thumbnails, and lists what a user should
/// know before training on it.
/// </summary>
public static class DatasetReport
{
    /// <summary>Most duplicate groups listed.</summary>
    public const int MaxDuplicateGroups = 50;

    public static DatasetManifest Build(string path, string thumbnailDirectory, int thumbnailsPerClass = 8, IProgress<string>? status = null,
        CancellationToken cancellationToken = default)
    {
        status?.Report("decoding images");
        using var dataset = DatasetLoader.Load(path, new DatasetLoadOptions(), status: status, cancellationToken: cancellationToken);
        var format = Directory.Exists(path) && IdxLayout.TryFind(path) is not null ? "idx" : "image-folder";
        var splits = new[] { ("train", dataset.Train), ("val", dataset.Val), ("test", dataset.Test) }
            .Where(s => s.Item2 is not null).Select(s => (Name: s.Item1, Images: s.Item2!)).ToList();

        status?.Report("writing thumbnails");
        Directory.CreateDirectory(thumbnailDirectory);
        var classes = new List<ClassReport>();
        for (int c = 0; c < dataset.ClassNames.Count; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int Count(LabeledImages? images) => images?.Labels.Count(l => l == c) ?? 0;
            var thumbs = new List<string>();
            var train = dataset.Train;
            for (int i = 0; i < train.Count && thumbs.Count < thumbnailsPerClass; i++)
            {
                if (train.Labels[i] != c)
                    continue;
                var file = $"{c}-{thumbs.Count}.png";
                WritePng(train, i, Path.Combine(thumbnailDirectory, file));
                thumbs.Add(file);
            }
            classes.Add(new ClassReport(dataset.ClassNames[c], Count(dataset.Train), Count(dataset.Val), Count(dataset.Test), thumbs));
        }

        status?.Report("looking for duplicates");
        var duplicates = FindDuplicates(splits, cancellationToken);
        var sizes = format == "idx" ? null : OriginalSizes(path, cancellationToken);
        var warnings = Warnings(classes, duplicates, dataset.Problems, dataset.Test is null);
        var first = dataset.Train;
        return new DatasetManifest(dataset.Name, format, first.Channels, first.Size, classes, dataset.Train.Count, dataset.Val?.Count ?? 0,
            dataset.Test?.Count ?? 0, sizes, duplicates, dataset.Problems, warnings);
    }

    private static List<string> Warnings(List<ClassReport> classes, List<DuplicateGroup> duplicates, IReadOnlyList<DataProblem> problems,
        bool noTest)
    {
        var warnings = new List<string>();
        if (classes.Count < 2)
            warnings.Add($"Only {classes.Count} class: a classifier needs at least 2.");
        foreach (var c in classes.Where(c => c.Train < 5))
            warnings.Add($"Class '{c.Name}' has {c.Train} training image(s); experiments need at least 5 per class.");
        foreach (var c in classes.Where(c => c.Train is >= 5 and < 20))
            warnings.Add($"Class '{c.Name}' has only {c.Train} training images; results on fewer than 20 per class are noisy.");
        if (classes.Count >= 2)
        {
            var most = classes.MaxBy(c => c.Train)!;
            var least = classes.MinBy(c => c.Train)!;
            if (least.Train > 0 && most.Train >= 3 * least.Train)
                warnings.Add($"Classes are imbalanced: '{most.Name}' has {most.Train} training images, '{least.Name}' {least.Train} ({(double)most.Train / least.Train:0.0}x).");
        }
        if (duplicates.Count > 0)
            warnings.Add($"{duplicates.Sum(d => d.Items.Count - 1)} image(s) are exact duplicates of others ({duplicates.Count} group(s)); duplicates across splits inflate test accuracy.");
        if (problems.Count > 0)
            warnings.Add($"{problems.Count} file(s) were skipped (unreadable or outside the class folders); see the list of problems.");
        if (noTest)
            warnings.Add("No test split: experiments hold out part of the training images for testing.");
        return warnings;
    }

    private static List<DuplicateGroup> FindDuplicates(List<(string Name, LabeledImages Images)> splits, CancellationToken cancellationToken)
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, images) in splits)
        {
            int itemBytes = images.Channels * images.Size * images.Size;
            const int chunk = 512;
            for (int start = 0; start < images.Count; start += chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(chunk, images.Count - start);
                byte[] pixels;
                using (TorchSharp.torch.NewDisposeScope())
                    pixels = images.ReadRange(start, count).data<byte>().ToArray();
                for (int k = 0; k < count; k++)
                {
                    var key = Convert.ToHexString(SHA256.HashData(pixels.AsSpan(k * itemBytes, itemBytes)));
                    if (!groups.TryGetValue(key, out var list))
                        groups[key] = list = [];
                    list.Add($"{name}/{images.ItemIds[start + k]}");
                }
            }
        }
        return groups.Values.Where(g => g.Count > 1).OrderByDescending(g => g.Count).Take(MaxDuplicateGroups)
            .Select(g => new DuplicateGroup(g)).ToList();
    }

    private static ImageSizeStats? OriginalSizes(string path, CancellationToken cancellationToken)
    {
        using var archive = ImageArchive.Open(path);
        var widths = new List<int>();
        var heights = new List<int>();
        foreach (var entry in archive.Entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ImageArchive.IsJunk(entry.Path) || !ImageDecoder.Extensions.Contains(Path.GetExtension(entry.Path)))
                continue;
            using var stream = new MemoryStream(entry.ReadAll());
            using var codec = SKCodec.Create(stream);
            if (codec is null)
                continue;
            widths.Add(codec.Info.Width);
            heights.Add(codec.Info.Height);
        }
        if (widths.Count == 0)
            return null;
        widths.Sort();
        heights.Sort();
        return new ImageSizeStats(widths[0], widths[widths.Count / 2], widths[^1], heights[0], heights[heights.Count / 2], heights[^1], widths.Count);
    }

    /// <summary>Writes item <paramref name="index"/> of <paramref name="images"/> as a PNG.</summary>
    public static void WritePng(LabeledImages images, int index, string path)
    {
        int c = images.Channels, h = images.Size, w = images.Size;
        byte[] pixels;
        using (TorchSharp.torch.NewDisposeScope())
            pixels = images.Read([index]).data<byte>().ToArray();
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var rgba = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int o = (y * w + x) * 4;
                for (int k = 0; k < 3; k++)
                    rgba[o + k] = pixels[(c == 1 ? 0 : k) * h * w + y * w + x];
                rgba[o + 3] = 255;
            }
        }
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var temp = path + ".tmp";
        using (var file = File.Create(temp))
            data.SaveTo(file);
        File.Move(temp, path, overwrite: true);
    }
}
