using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace WebLab.Data.Tiles;

/// <summary>
/// The shared on-disk tile cache. Each image-folder dataset is decoded once per tile size into
/// root/&lt;content hash&gt;-&lt;size&gt;/ (tiles.bin and index.json); every later load, in any job or worker process,
/// opens that instead of decoding again. The key is a SHA-256 of the dataset's files (paths, lengths and bytes), so a
/// changed dataset is a new entry and a stale one is never read. Loaders that miss at the same time queue on a lock
/// file while one decodes; an entry appears whole, by renaming its finished folder.
/// </summary>
public sealed class TileCache(string root)
{
    /// <summary>Part of every key: bump it when decoding changes what a tile holds, so old entries are not reused.</summary>
    public const int FormatVersion = 1;

    private const string IndexFile = "index.json";
    private const string TilesFile = "tiles.bin";

    public string Root { get; } = root;

    /// <summary>tiles/ in WebLab's cache folder (<see cref="DatasetFileOptions.CacheRoot"/>).</summary>
    public static string DefaultRoot => Path.Combine(DatasetFileOptions.CacheRoot, "tiles");

    /// <summary>The dataset in <paramref name="archive"/> at <paramref name="size"/> px tiles: from the cache, or decoded into it.</summary>
    public ImageFolder.Loaded Load(ImageArchive archive, int size, bool strict = false, IProgress<string>? status = null,
        CancellationToken cancellationToken = default)
    {
        status?.Report("hashing the dataset's files");
        var entry = Path.Combine(Root, Key(archive, size, cancellationToken));
        if (TryOpen(entry, archive, strict, cancellationToken) is { } hit)
            return hit;
        Directory.CreateDirectory(Root);
        using (Lock(entry + ".lock", status, cancellationToken))
        {
            // Whoever held the lock may have built it meanwhile.
            if (TryOpen(entry, archive, strict, cancellationToken) is { } built)
                return built;
            Build(entry, archive, size, strict, status, cancellationToken);
        }
        return TryOpen(entry, archive, strict, cancellationToken) ?? throw new InvalidOperationException("a tile cache entry vanished as it was built");
    }

    /// <summary>Entry name: the content hash (first 128 bits, hex) and the tile size.</summary>
    public static string Key(ImageArchive archive, int size, CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        BitConverter.TryWriteBytes(number, (long)FormatVersion);
        hash.AppendData(number);
        foreach (var file in archive.Entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bytes = file.ReadAll();
            hash.AppendData(Encoding.UTF8.GetBytes(file.Path));
            BitConverter.TryWriteBytes(number, (long)bytes.Length);
            hash.AppendData(number);
            hash.AppendData(bytes);
        }
        return $"{Convert.ToHexStringLower(hash.GetHashAndReset())[..32]}-{size}";
    }

    private static ImageFolder.Loaded? TryOpen(string entry, ImageArchive archive, bool strict, CancellationToken cancellationToken)
    {
        var indexPath = Path.Combine(entry, IndexFile);
        if (!File.Exists(indexPath))
            return null;
        TileIndex index;
        TileFile file;
        try
        {
            index = JsonSerializer.Deserialize<TileIndex>(File.ReadAllText(indexPath), WebLabJson.Compact)
                ?? throw new InvalidDataException("empty index");
            file = TileFile.Open(Path.Combine(entry, TilesFile), index.Slots, index.Channels, index.Size);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException)
        {
            // A damaged entry (a disk filled mid-copy, a hand edit) is rebuilt rather than trusted.
            Directory.Delete(entry, recursive: true);
            return null;
        }
        if (strict && index.Problems.Count > 0)
        {
            // A lenient load cached this set with files skipped; a strict one fails on them exactly as a fresh decode does.
            file.Dispose();
            ImageFolder.Decode(archive, index.Size, strict: true, tilesPath: null, progress: null, cancellationToken).File.Dispose();
            throw new InvalidOperationException("a strict decode accepted files a lenient one skipped");
        }
        try
        {
            Directory.SetLastWriteTimeUtc(entry, DateTime.UtcNow); // last use, for RemoveUnused
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only cache still serves; it just keeps no record of use.
        }
        return index.Open(file);
    }

    private static void Build(string entry, ImageArchive archive, int size, bool strict, IProgress<string>? status,
        CancellationToken cancellationToken)
    {
        var building = entry + ".building";
        if (Directory.Exists(building))
            Directory.Delete(building, recursive: true); // left by a process that died while building
        Directory.CreateDirectory(building);
        try
        {
            var progress = status is null ? null : new Progress<(int Done, int Total)>(p => status.Report($"decoded {p.Done}/{p.Total} images"));
            var (file, index) = ImageFolder.Decode(archive, size, strict, Path.Combine(building, TilesFile), progress, cancellationToken);
            file.Dispose();
            File.WriteAllText(Path.Combine(building, IndexFile), JsonSerializer.Serialize(index, WebLabJson.Compact));
            Directory.Move(building, entry);
        }
        catch
        {
            Directory.Delete(building, recursive: true);
            throw;
        }
    }

    private static FileStream Lock(string path, IProgress<string>? status, CancellationToken cancellationToken)
    {
        bool told = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                if (!told)
                    status?.Report("waiting for another job that is decoding this dataset");
                told = true;
                cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
            }
        }
    }

    /// <summary>Deletes entries not used since <paramref name="cutoff"/>; returns the bytes freed.</summary>
    public long RemoveUnused(DateTimeOffset cutoff)
    {
        if (!Directory.Exists(Root))
            return 0;
        long freed = 0;
        foreach (var entry in Directory.EnumerateDirectories(Root).Where(d => !d.EndsWith(".building", StringComparison.Ordinal)))
        {
            if (Directory.GetLastWriteTimeUtc(entry) >= cutoff.UtcDateTime)
                continue;
            long bytes = Directory.EnumerateFiles(entry).Sum(f => new FileInfo(f).Length);
            // Readers that already opened it keep their handles; the next load decodes again.
            Directory.Delete(entry, recursive: true);
            File.Delete(entry + ".lock");
            freed += bytes;
        }
        return freed;
    }
}
