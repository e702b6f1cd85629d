using WebLab.Data.Tiles;

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

    /// <summary>Decoded splits of an image-folder dataset: views of one tile store, released with the last of them.</summary>
    public sealed record Loaded(IReadOnlyDictionary<string, LabeledImages> Splits, IReadOnlyList<DataProblem> Problems,
        IReadOnlyList<string> ClassNames);

    /// <summary>
    /// Decodes every image into size x size tiles in a scratch file deleted with the sets (no cache: see
    /// <see cref="TileCache"/> for the shared one). With <paramref name="strict"/> the first bad image throws;
    /// otherwise bad images are skipped and listed in <see cref="Loaded.Problems"/>.
    /// </summary>
    public static Loaded Load(ImageArchive archive, int size, bool strict = false, IProgress<(int Done, int Total)>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var (file, index) = Decode(archive, size, strict, tilesPath: null, progress, cancellationToken);
        return index.Open(file);
    }

    /// <summary>
    /// Decodes every image, in parallel and a chunk at a time (memory stays bounded at any dataset size), into a tile
    /// file at <paramref name="tilesPath"/> (null: scratch). Three channels while decoding; one if every image was grey.
    /// </summary>
    internal static (TileFile File, TileIndex Index) Decode(ImageArchive archive, int size, bool strict, string? tilesPath,
        IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        if (size is < 8 or > 1024)
            throw new BadInputException($"Image size {size} is out of range (8..1024).");
        var layout = Inspect(archive);
        if (strict && layout.Problems.Count > 0)
            throw new BadInputException($"{archive.Origin}: {layout.Problems[0].Path}: {layout.Problems[0].Reason}.");
        var items = layout.Splits.OrderBy(s => s.Key, StringComparer.Ordinal)
            .SelectMany(s => s.Value.Select(item => (Split: s.Key, item.Entry, item.Label))).ToArray();
        var file = tilesPath is null ? TileFile.CreateScratch(items.Length, 3, size) : TileFile.Create(tilesPath, items.Length, 3, size);
        try
        {
            var decoded = DecodeInto(file, items.Select(i => i.Entry).ToArray(), progress, cancellationToken);
            var problems = new List<DataProblem>(layout.Problems);
            for (int i = 0; i < items.Length; i++)
            {
                if (decoded.Errors[i] is { } error)
                {
                    if (strict)
                        throw new BadInputException(error);
                    problems.Add(new DataProblem(items[i].Entry.Path, StripName(error, items[i].Entry.Path)));
                }
            }
            var splits = layout.Splits.Keys.ToDictionary(split => split, split =>
            {
                var slots = Enumerable.Range(0, items.Length).Where(i => items[i].Split == split && decoded.Errors[i] is null).ToArray();
                return new TileSplit(slots, slots.Select(i => items[i].Label).ToArray(), slots.Select(i => items[i].Entry.Path).ToArray());
            });
            // A folder where every image turned out unreadable is as bad as an empty one.
            var counts = new int[layout.ClassNames.Count];
            foreach (var label in splits["train"].Labels)
                counts[label]++;
            if (Array.IndexOf(counts, 0) is var empty and >= 0)
                throw new BadInputException($"{archive.Origin}: class folder '{layout.ClassNames[empty]}' has no readable images.");
            // One channel when every image is grey; the model's channel count is matched later by the transform.
            if (decoded.AllGrey)
                file = KeepFirstChannel(file, tilesPath);
            // The decoders' buffers were spread over every thread's malloc arena; give them back before training starts.
            Runtime.NativeAllocator.Trim();
            return (file, new TileIndex(file.Channels, size, items.Length, layout.ClassNames, splits, problems));
        }
        catch
        {
            file.Dispose();
            if (tilesPath is not null)
                File.Delete(tilesPath);
            throw;
        }
    }

    private sealed record Decoded(string?[] Errors, bool AllGrey);

    private static Decoded DecodeInto(TileFile file, ImageArchive.Entry[] entries, IProgress<(int Done, int Total)>? progress,
        CancellationToken cancellationToken)
    {
        int plane = checked((int)file.SlotBytes);
        // Chunks of at most 64 MiB: decoding stays parallel while memory does not grow with the dataset.
        int chunk = Math.Clamp((64 << 20) / plane, 16, 256);
        var buffer = new byte[(long)chunk * plane];
        var errors = new string?[entries.Length];
        bool allGrey = true;
        for (int start = 0; start < entries.Length; start += chunk)
        {
            int count = Math.Min(chunk, entries.Length - start);
            Array.Clear(buffer);
            HostileArchiveException? hostile = null;
            Parallel.For(0, count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
                (k, loop) =>
                {
                    var entry = entries[start + k];
                    try
                    {
                        var decoded = ImageDecoder.DecodeTile(entry.ReadAll(), entry.Path, file.Size, buffer.AsSpan(k * plane, plane));
                        if (!decoded.IsGray)
                            allGrey = false;
                    }
                    catch (HostileArchiveException e)
                    {
                        hostile = e; // the whole archive is rejected, not just this image
                        loop.Stop();
                    }
                    catch (BadInputException e)
                    {
                        errors[start + k] = e.Message;
                    }
                });
            if (hostile is not null)
                throw hostile;
            file.Write(start, buffer.AsSpan(0, count * plane));
            progress?.Report((start + count, entries.Length));
        }
        progress?.Report((entries.Length, entries.Length));
        return new Decoded(errors, allGrey && errors.Any(e => e is null));
    }

    private static TileFile KeepFirstChannel(TileFile colour, string? tilesPath)
    {
        if (tilesPath is null)
        {
            using (colour)
                return colour.FirstChannel(Path.Combine(Path.GetTempPath(), $"weblab-tiles-{Guid.NewGuid():N}.bin"), deleteOnClose: true);
        }
        var grey = colour.FirstChannel(tilesPath + ".grey", deleteOnClose: false);
        colour.Dispose();
        File.Move(tilesPath + ".grey", tilesPath, overwrite: true); // the open handle follows the file
        return grey;
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
