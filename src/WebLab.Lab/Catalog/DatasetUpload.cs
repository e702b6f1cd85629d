using System.IO.Compression;
using WebLab.Data;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Catalog;

/// <summary>
/// The files of one dataset upload on their way in: streamed into a staging folder under tmp/ (the size limit counts
/// all of them), then checked and given their final names by <see cref="Jobs.LabCommands.AcceptDatasetAsync"/>.
/// Disposing removes whatever was not accepted, so a failed upload keeps nothing.
/// </summary>
public sealed class DatasetUpload : IDisposable
{
    /// <summary>One zip, or the IDX images and labels of train and test.</summary>
    public const int MaxFiles = 4;

    private readonly DataFolder _folder;
    private readonly List<(string Path, string Name)> _files = [];
    private long _bytes;

    internal DatasetUpload(DataFolder folder, string id, long limit)
    {
        _folder = folder;
        Id = id;
        Limit = limit;
        Staging = Path.Combine(folder.Temp, id);
        Directory.CreateDirectory(Staging);
    }

    /// <summary>The dataset id this upload will have.</summary>
    public string Id { get; }

    /// <summary>Bytes allowed for all the files together.</summary>
    public long Limit { get; }

    internal string Staging { get; }

    public int Count => _files.Count;

    /// <summary>Bytes received so far.</summary>
    public long Bytes => _bytes;

    /// <summary>Streams one file into staging; throws <see cref="UploadTooLargeException"/> past the limit.</summary>
    public async Task AddAsync(Stream content, string? clientName, CancellationToken cancellationToken)
    {
        if (_files.Count >= MaxFiles)
            throw new BadInputException($"At most {MaxFiles} files per upload (one zip, or the IDX images/labels of train and test).");
        var target = Path.Combine(Staging, $"upload-{_files.Count}");
        _bytes += await _folder.WriteAtomicAsync(content, target, Limit - _bytes, cancellationToken);
        var name = Path.GetFileName(clientName ?? "");
        _files.Add((target, name.Length > 0 ? name : $"file-{_files.Count}"));
    }

    public void Dispose()
    {
        if (Directory.Exists(Staging))
            Directory.Delete(Staging, recursive: true);
    }

    /// <summary>Checks what arrived and gives the files their final names: data.zip, or train-/t10k- IDX names.</summary>
    internal (string Source, string Path, string FileName) Arrange()
    {
        if (_files.Count == 0)
            throw new BadInputException("No file in the upload: attach a zip of class folders, or the IDX images and labels files.");
        var kinds = _files.Select(f => (f.Path, f.Name, Kind: Sniff(f.Path))).ToList();
        if (kinds.Any(k => k.Kind == FileKind.Zip))
            return ArrangeZip(kinds);
        foreach (var k in kinds.Where(k => k.Kind == FileKind.Unknown))
            throw new BadInputException($"{k.Name} is neither a zip nor an IDX file (images magic 0x00000803 / labels 0x00000801, optionally gzipped).");
        var named = new Dictionary<string, string>();
        foreach (var (path, name, kind) in kinds)
        {
            var split = name.Contains("t10k", StringComparison.OrdinalIgnoreCase) || name.Contains("test", StringComparison.OrdinalIgnoreCase) ? "t10k" : "train";
            var role = kind is FileKind.IdxImages or FileKind.IdxImagesGz ? "images-idx3-ubyte" : "labels-idx1-ubyte";
            var target = $"{split}-{role}{(kind is FileKind.IdxImagesGz or FileKind.IdxLabelsGz ? ".gz" : "")}";
            if (named.Values.Any(v => v.StartsWith($"{split}-{role}", StringComparison.Ordinal)))
                throw new BadInputException($"Two {split} {role[..6]} files ({name} and another); name test files with 'test' or 't10k'.");
            named[path] = target;
        }
        if (!named.Values.Any(v => v.StartsWith("train-images", StringComparison.Ordinal)) || !named.Values.Any(v => v.StartsWith("train-labels", StringComparison.Ordinal)))
            throw new BadInputException("An IDX upload needs both the training images file (idx3) and the training labels file (idx1).");
        foreach (var (path, target) in named)
            File.Move(path, Path.Combine(Staging, target));
        return ("idx", "", kinds[0].Name);
    }

    private (string, string, string) ArrangeZip(List<(string Path, string Name, FileKind Kind)> kinds)
    {
        if (kinds.Count != 1)
            throw new BadInputException("Upload one zip on its own (a zip of class folders), not together with other files.");
        var zipPath = Path.Combine(Staging, "data.zip");
        File.Move(kinds[0].Path, zipPath);
        try
        {
            using var zip = ZipFile.OpenRead(zipPath);
            ArchiveGuard.Validate(zip, kinds[0].Name, ArchiveLimits.Default);
        }
        catch (InvalidDataException e)
        {
            throw new BadInputException($"{kinds[0].Name} is not a readable zip ({e.Message}).", e);
        }
        return ("zip", "data.zip", kinds[0].Name);
    }

    private enum FileKind { Unknown, Zip, IdxImages, IdxLabels, IdxImagesGz, IdxLabelsGz }

    private static FileKind Sniff(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var file = File.OpenRead(path);
        if (file.ReadAtLeast(head, 4, throwOnEndOfStream: false) < 4)
            return FileKind.Unknown;
        if (head[0] == 'P' && head[1] == 'K')
            return FileKind.Zip;
        bool gz = head[0] == 0x1f && head[1] == 0x8b;
        if (gz && !ReadGzipHead(file, head))
            return FileKind.Unknown;
        if (head[0] != 0 || head[1] != 0)
            return FileKind.Unknown;
        return (head[2], head[3], gz) switch
        {
            (8, 3, false) => FileKind.IdxImages,
            (8, 1, false) => FileKind.IdxLabels,
            (8, 3, true) => FileKind.IdxImagesGz,
            (8, 1, true) => FileKind.IdxLabelsGz,
            _ => FileKind.Unknown,
        };
    }

    private static bool ReadGzipHead(FileStream file, Span<byte> head)
    {
        file.Position = 0;
        using var unzipped = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        try
        {
            return unzipped.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}
