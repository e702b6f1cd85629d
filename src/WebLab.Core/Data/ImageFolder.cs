using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Data;

/// <summary>A file that could not be used, and why.</summary>
public sealed record DataProblem(string Path, string Reason);

/// <summary>
/// Reads class-folder datasets (root/&lt;class&gt;/*.jpg, optionally under root/train, root/val and root/test),
/// from a directory or a zip. Images are decoded once, in parallel, into square tiles of one size.
/// </summary>
public static class ImageFolder
{
    /// <summary>Split folder names recognised at the top level.</summary>
    private static readonly string[] s_trainNames = ["train", "training"];
    private static readonly string[] s_valNames = ["val", "valid", "validation"];
    private static readonly string[] s_testNames = ["test", "testing"];

    /// <summary>How the files of an archive map onto splits and classes, before any decoding.</summary>
    public sealed record Layout(
        IReadOnlyList<string> ClassNames,
        IReadOnlyDictionary<string, IReadOnlyList<(ImageArchive.Entry Entry, int Label)>> Splits,
        IReadOnlyList<DataProblem> Problems);

    /// <summary>Works out classes and splits from the paths alone (cheap; no decoding).</summary>
    public static Layout Inspect(ImageArchive archive)
    {
        var problems = new List<DataProblem>();
        var files = archive.Entries.Where(e => !ImageArchive.IsJunk(e.Path)).ToList();
        if (files.Count == 0)
            throw new BadInputException($"{archive.Origin}: no files found (expected class folders of images).");

        // A single wrapping folder ("mydata/cats/1.jpg") is not a class.
        var prefix = "";
        while (true)
        {
            var tops = files.Select(f => f.Path[prefix.Length..]).Select(p => p.Contains('/') ? p[..p.IndexOf('/')] : null).ToList();
            if (tops.Any(t => t is null) || tops.Distinct().Count() != 1)
                break;
            var candidate = prefix + tops[0] + "/";
            var below = files.Select(f => f.Path[candidate.Length..]).ToList();
            if (!below.All(p => p.Contains('/')))
                break; // the single folder holds images directly: it is a (lone) class
            prefix = candidate;
        }

        var byTop = files.GroupBy(f => Top(f.Path[prefix.Length..]) ?? "").ToDictionary(g => g.Key, g => g.ToList());
        bool hasSplits = byTop.Keys.Any(k => s_trainNames.Contains(k, StringComparer.OrdinalIgnoreCase));
        var splitFiles = new Dictionary<string, List<(ImageArchive.Entry Entry, string Rel)>>();
        foreach (var (top, entries) in byTop)
        {
            string split = "train";
            string rel;
            if (hasSplits)
            {
                split = Canonical(top) ?? "";
                if (split.Length == 0)
                {
                    problems.AddRange(entries.Select(e => new DataProblem(e.Path, "outside the train/val/test folders; ignored")));
                    continue;
                }
            }
            foreach (var entry in entries)
            {
                rel = entry.Path[prefix.Length..];
                if (hasSplits)
                    rel = rel[(rel.IndexOf('/') + 1)..];
                if (!splitFiles.TryGetValue(split, out var list))
                    splitFiles[split] = list = [];
                list.Add((entry, rel));
            }
        }
        if (!splitFiles.TryGetValue("train", out var trainFiles))
            throw new BadInputException($"{archive.Origin}: no training images found.");

        var classNames = trainFiles.Select(f => Top(f.Rel)).Where(t => t is not null).Cast<string>()
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var classIndex = classNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);

        var splits = new Dictionary<string, IReadOnlyList<(ImageArchive.Entry, int)>>();
        foreach (var (split, list) in splitFiles)
        {
            var labelled = new List<(ImageArchive.Entry, int)>();
            foreach (var (entry, rel) in list)
            {
                var cls = Top(rel);
                if (cls is null)
                {
                    problems.Add(new DataProblem(entry.Path, "not inside a class folder; ignored"));
                    continue;
                }
                if (!classIndex.TryGetValue(cls, out var label))
                {
                    problems.Add(new DataProblem(entry.Path, $"class '{cls}' has no training images; ignored"));
                    continue;
                }
                if (!ImageDecoder.Extensions.Contains(Path.GetExtension(entry.Path)))
                {
                    problems.Add(new DataProblem(entry.Path,
                        $"unsupported file type '{Path.GetExtension(entry.Path)}' (use JPEG, PNG, BMP or WebP); ignored"));
                    continue;
                }
                labelled.Add((entry, label));
            }
            splits[split] = labelled;
        }

        var trainCounts = new int[classNames.Count];
        foreach (var (_, label) in splits["train"])
            trainCounts[label]++;
        var empty = classNames.Where((_, i) => trainCounts[i] == 0).ToList();
        if (empty.Count > 0)
            throw new BadInputException(
                $"{archive.Origin}: class folder '{empty[0]}' has no images" + (empty.Count > 1 ? $" (nor do {empty.Count - 1} more)." : "."));
        if (classNames.Count < 2)
            throw new BadInputException(
                $"{archive.Origin}: found a single class ('{classNames.FirstOrDefault()}'); classification needs at least two class folders.");
        return new Layout(classNames, splits, problems);
    }

    /// <summary>Decoded splits of an image-folder dataset.</summary>
    public sealed record Loaded(IReadOnlyDictionary<string, LabeledImages> Splits, IReadOnlyList<DataProblem> Problems,
        IReadOnlyList<string> ClassNames, IReadOnlyList<(int Width, int Height)> SourceSizes);

    /// <summary>
    /// Decodes every image into size x size tiles. With <paramref name="strict"/> the first bad image throws;
    /// otherwise bad images are skipped and listed in <see cref="Loaded.Problems"/>.
    /// </summary>
    public static Loaded Load(ImageArchive archive, int size, bool strict = false, IProgress<(int Done, int Total)>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (size is < 8 or > 1024)
            throw new BadInputException($"Image size {size} is out of range (8..1024).");
        var layout = Inspect(archive);
        if (strict && layout.Problems.Count > 0)
            throw new BadInputException($"{archive.Origin}: {layout.Problems[0].Path}: {layout.Problems[0].Reason}.");
        var problems = new List<DataProblem>(layout.Problems);
        var result = new Dictionary<string, LabeledImages>();
        var sizes = new List<(int, int)>();
        int total = layout.Splits.Values.Sum(s => s.Count), done = 0;
        foreach (var (split, items) in layout.Splits.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            int plane = 3 * size * size;
            var pixels = new byte[(long)items.Count * plane];
            var ok = new bool[items.Count];
            var gray = new bool[items.Count];
            var dims = new (int, int)[items.Count];
            var errors = new string?[items.Count];
            HostileArchiveException? hostile = null;
            Parallel.For(0, items.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
                (i, loop) =>
                {
                    var entry = items[i].Entry;
                    try
                    {
                        var bytes = entry.ReadAll();
                        var decoded = ImageDecoder.DecodeTile(bytes, entry.Path, size, pixels.AsSpan((int)((long)i * plane), plane));
                        ok[i] = true;
                        gray[i] = decoded.IsGray;
                        dims[i] = (decoded.SourceWidth, decoded.SourceHeight);
                    }
                    catch (HostileArchiveException e)
                    {
                        hostile = e; // the whole archive is rejected, not just this image
                        loop.Stop();
                    }
                    catch (BadInputException e)
                    {
                        errors[i] = e.Message;
                    }
                    var n = Interlocked.Increment(ref done);
                    if (n % 256 == 0)
                        progress?.Report((n, total));
                });
            if (hostile is not null)
            {
                foreach (var set in result.Values)
                    set.Dispose();
                throw hostile;
            }
            for (int i = 0; i < items.Count; i++)
            {
                if (errors[i] is { } error)
                {
                    if (strict)
                        throw new BadInputException(error);
                    problems.Add(new DataProblem(items[i].Entry.Path, StripName(error, items[i].Entry.Path)));
                }
            }
            var keep = Enumerable.Range(0, items.Count).Where(i => ok[i]).ToArray();
            sizes.AddRange(keep.Select(i => dims[i]));
            result[split] = Build(pixels, keep, items, gray, size, layout.ClassNames, plane);
        }
        progress?.Report((total, total));

        // A folder where every image turned out unreadable is as bad as an empty one.
        var counts = result["train"].ClassCounts();
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] == 0)
            {
                foreach (var set in result.Values)
                    set.Dispose();
                throw new BadInputException($"{archive.Origin}: class folder '{layout.ClassNames[c]}' has no readable images.");
            }
        }
        return new Loaded(result, problems, layout.ClassNames, sizes);
    }

    private static LabeledImages Build(byte[] pixels, int[] keep, IReadOnlyList<(ImageArchive.Entry Entry, int Label)> items,
        bool[] gray, int size, IReadOnlyList<string> classNames, int plane)
    {
        // One channel when every image is grey; the model's channel count is matched later by the transform.
        bool allGray = keep.All(i => gray[i]);
        int channels = allGray ? 1 : 3;
        int stride = channels * size * size;
        var packed = new byte[(long)keep.Length * stride];
        for (int k = 0; k < keep.Length; k++)
            pixels.AsSpan((int)((long)keep[k] * plane), stride).CopyTo(packed.AsSpan((int)((long)k * stride), stride));
        var tensor = torch.tensor(packed, [keep.Length, channels, size, size], ScalarType.Byte);
        return new LabeledImages(tensor, keep.Select(i => items[i].Label).ToArray(), classNames,
            keep.Select(i => items[i].Entry.Path).ToArray());
    }

    private static string StripName(string message, string path) =>
        message.StartsWith(path + ": ", StringComparison.Ordinal) ? message[(path.Length + 2)..] : message;

    private static string? Top(string relative)
    {
        int slash = relative.IndexOf('/');
        return slash <= 0 ? null : relative[..slash];
    }

    private static string? Canonical(string top)
    {
        if (s_trainNames.Contains(top, StringComparer.OrdinalIgnoreCase))
            return "train";
        if (s_valNames.Contains(top, StringComparer.OrdinalIgnoreCase))
            return "val";
        if (s_testNames.Contains(top, StringComparer.OrdinalIgnoreCase))
            return "test";
        return null;
    }
}
