using System.IO.Compression;

namespace WebLab.Data;

/// <summary>An archive that must be rejected whole (not one bad image among good ones).</summary>
public sealed class HostileArchiveException : BadInputException
{
    public HostileArchiveException(string message) : base(message) { }

    public HostileArchiveException(string message, Exception inner) : base(message, inner) { }

    public HostileArchiveException() { }
}

/// <summary>Limits on what an uploaded or opened zip may contain.</summary>
/// <param name="MaxEntries">Most entries (files and folders) allowed.</param>
/// <param name="MaxTotalBytes">Most uncompressed bytes, summed over entries.</param>
/// <param name="MaxEntryBytes">Most uncompressed bytes in one entry.</param>
/// <param name="MaxRatio">Highest uncompressed/compressed ratio for entries over 1 MiB.</param>
public sealed record ArchiveLimits(int MaxEntries, long MaxTotalBytes, long MaxEntryBytes, double MaxRatio)
{
    public static ArchiveLimits Default { get; } = new(200_000, 8L << 30, 256L << 20, 200);
}

/// <summary>
/// Validates every zip entry before any is used, and rejects the whole archive on the first hostile one:
/// absolute or parent-escaping paths (zip slip), symbolic links, nested archives, too many entries,
/// compression bombs, and entries whose data is larger than their declared size.
/// </summary>
public static class ArchiveGuard
{
    /// <summary>A validated entry and its normalised relative path.</summary>
    public sealed record SafeEntry(ZipArchiveEntry Entry, string Path);

    private const int SymlinkMode = 0xA000;
    private const int FileTypeMask = 0xF000;

    /// <summary>Validates all entries; returns the file entries that are not metadata junk.</summary>
    public static IReadOnlyList<SafeEntry> Validate(ZipArchive zip, string origin, ArchiveLimits limits)
    {
        System.Collections.ObjectModel.ReadOnlyCollection<ZipArchiveEntry> entries;
        try
        {
            entries = zip.Entries;
        }
        catch (InvalidDataException e)
        {
            throw new HostileArchiveException($"{origin}: the zip's central directory is corrupt ({e.Message}).", e);
        }
        if (entries.Count > limits.MaxEntries)
            throw new HostileArchiveException($"{origin}: the archive has {entries.Count} entries; at most {limits.MaxEntries} are allowed.");

        var safe = new List<SafeEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var entry in entries)
        {
            var path = NormalisePath(entry.FullName, origin);
            int unixMode = (entry.ExternalAttributes >> 16) & FileTypeMask;
            if (unixMode == SymlinkMode)
                throw new HostileArchiveException($"{origin}: entry '{entry.FullName}' is a symbolic link; links are not allowed in uploads.");
            if (entry.FullName.EndsWith('/'))
                continue; // a folder
            if (!seen.Add(path))
                throw new HostileArchiveException($"{origin}: entry '{path}' appears twice.");
            if (entry.Length < 0 || entry.Length > limits.MaxEntryBytes)
                throw new HostileArchiveException(
                    $"{origin}: entry '{path}' is {entry.Length} bytes uncompressed; at most {limits.MaxEntryBytes} are allowed per file.");
            total += entry.Length;
            if (total > limits.MaxTotalBytes)
                throw new HostileArchiveException(
                    $"{origin}: the archive expands to more than {limits.MaxTotalBytes} bytes; that is over the limit.");
            if (entry.Length > (1 << 20) && entry.Length > limits.MaxRatio * Math.Max(1, entry.CompressedLength))
                throw new HostileArchiveException(
                    $"{origin}: entry '{path}' expands {entry.Length / Math.Max(1.0, entry.CompressedLength):F0}x; " +
                    "that looks like a compression bomb.");
            if (ImageArchive.IsJunk(path))
                continue;
            var extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
            if (extension is ".zip" or ".tar" or ".gz" or ".tgz" or ".7z" or ".rar" or ".xz" or ".bz2")
                throw new HostileArchiveException(
                    $"{origin}: entry '{path}' is itself an archive; nested archives are not supported - extract it and zip the folders.");
            safe.Add(new SafeEntry(entry, path));
        }
        return safe;
    }

    /// <summary>Reads an entry, refusing to read past its declared size (forged sizes) and checking nested zips.</summary>
    public static byte[] ReadBounded(ZipArchiveEntry entry, string origin)
    {
        var declared = entry.Length;
        var buffer = new byte[declared];
        try
        {
            using var stream = entry.Open();
            int filled = 0;
            while (filled < declared)
            {
                int read = stream.Read(buffer, filled, (int)(declared - filled));
                if (read == 0)
                    throw new HostileArchiveException($"{origin}: entry '{entry.FullName}' is shorter than its declared {declared} bytes.");
                filled += read;
            }
            if (stream.ReadByte() != -1)
                throw new HostileArchiveException(
                    $"{origin}: entry '{entry.FullName}' holds more data than its declared {declared} bytes (forged size).");
        }
        catch (InvalidDataException e)
        {
            throw new HostileArchiveException($"{origin}: entry '{entry.FullName}' is corrupt ({e.Message}).", e);
        }
        // .NET stops reading at the declared size without complaint, so a forged (smaller) size would silently
        // truncate the file; the CRC stored for the entry catches that, and any other corruption.
        if (Crc32(buffer) != entry.Crc32)
            throw new HostileArchiveException(
                $"{origin}: entry '{entry.FullName}' does not match its CRC-32 (corrupt, or its declared size is forged).");
        if (declared >= 4 && buffer[0] == 'P' && buffer[1] == 'K' && buffer[2] == 3 && buffer[3] == 4)
            throw new HostileArchiveException($"{origin}: entry '{entry.FullName}' is a zip inside the zip; nested archives are not supported.");
        return buffer;
    }

    private static readonly uint[] s_crcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The zip format's CRC-32 (IEEE 802.3, reflected).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (var b in data)
            crc = s_crcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>Checks a path is relative and stays inside the archive root; returns it '/'-separated.</summary>
    public static string NormalisePath(string name, string origin)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('\0', StringComparison.Ordinal))
            throw new HostileArchiveException($"{origin}: an entry has an empty or invalid name.");
        var path = name.Replace('\\', '/');
        if (path.StartsWith('/') || (path.Length >= 2 && path[1] == ':'))
            throw new HostileArchiveException($"{origin}: entry '{name}' has an absolute path; only relative paths are allowed.");
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Any(p => p == ".."))
            throw new HostileArchiveException($"{origin}: entry '{name}' points outside the archive (\"..\" in its path).");
        return string.Join('/', parts.Where(p => p != "."));
    }
}
