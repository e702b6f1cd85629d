using System.IO.Compression;

namespace WebLab.Data;

/// <summary>
/// The files of an image-folder dataset, from a directory or a zip, with paths relative to its root
/// ('/'-separated). Opening a zip validates every entry first and rejects the whole archive if any
/// entry is hostile; nothing is ever extracted.
/// </summary>
public abstract class ImageArchive : IDisposable
{
    /// <summary>One file: its relative path and a way to read its bytes.</summary>
    public abstract class Entry
    {
        public abstract string Path { get; }

        public abstract long Length { get; }

        /// <summary>Reads the whole file (at most its declared length; more is a forged entry).</summary>
        public abstract byte[] ReadAll();
    }

    public abstract IReadOnlyList<Entry> Entries { get; }

    /// <summary>A short description of where the data lives, for messages.</summary>
    public abstract string Origin { get; }

    /// <summary>Opens a directory or a .zip file.</summary>
    public static ImageArchive Open(string path, ArchiveLimits? limits = null)
    {
        if (Directory.Exists(path))
            return new DirectoryArchive(path);
        if (File.Exists(path))
            return new ZipImageArchive(path, limits ?? ArchiveLimits.Default);
        throw new BadInputException($"{path}: no such file or directory.");
    }

    /// <summary>Names that are never data: macOS and Windows metadata, hidden files.</summary>
    public static bool IsJunk(string relativePath)
    {
        foreach (var part in relativePath.Split('/'))
        {
            if (part.Length == 0)
                continue;
            if (part == "__MACOSX" || part.StartsWith('.') || part.Equals("Thumbs.db", StringComparison.OrdinalIgnoreCase)
                || part.Equals("desktop.ini", StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }

    private sealed class DirectoryArchive : ImageArchive
    {
        private readonly List<Entry> _entries = [];

        public DirectoryArchive(string root)
        {
            Origin = root;
            var rootFull = System.IO.Path.GetFullPath(root);
            var options = new EnumerationOptions
            {
                RecurseSubdirectories = true,
                AttributesToSkip = FileAttributes.ReparsePoint, // never follow links out of the folder
                IgnoreInaccessible = false,
            };
            foreach (var file in Directory.EnumerateFiles(rootFull, "*", options).Order(StringComparer.Ordinal))
            {
                var relative = System.IO.Path.GetRelativePath(rootFull, file).Replace('\\', '/');
                _entries.Add(new FileEntry(file, relative));
            }
        }

        public override IReadOnlyList<Entry> Entries => _entries;

        public override string Origin { get; }

        private sealed class FileEntry(string fullPath, string relative) : Entry
        {
            public override string Path => relative;

            public override long Length => new FileInfo(fullPath).Length;

            public override byte[] ReadAll() => File.ReadAllBytes(fullPath);
        }
    }

    private sealed class ZipImageArchive : ImageArchive
    {
        private readonly ZipArchive _zip;
        private readonly List<Entry> _entries = [];
        private readonly Lock _gate = new();

        public ZipImageArchive(string path, ArchiveLimits limits)
        {
            Origin = System.IO.Path.GetFileName(path);
            try
            {
                _zip = ZipFile.OpenRead(path);
            }
            catch (InvalidDataException e)
            {
                throw new BadInputException($"{Origin}: not a valid zip archive ({e.Message}).", e);
            }
            try
            {
                foreach (var entry in ArchiveGuard.Validate(_zip, Origin, limits))
                    _entries.Add(new ZipEntry(this, entry));
            }
            catch
            {
                _zip.Dispose();
                throw;
            }
        }

        public override IReadOnlyList<Entry> Entries => _entries;

        public override string Origin { get; }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _zip.Dispose();
            base.Dispose(disposing);
        }

        private sealed class ZipEntry(ZipImageArchive owner, ArchiveGuard.SafeEntry safe) : Entry
        {
            public override string Path => safe.Path;

            public override long Length => safe.Entry.Length;

            public override byte[] ReadAll()
            {
                // ZipArchive is not thread-safe; decoding runs in parallel, reading is serialised.
                lock (owner._gate)
                    return ArchiveGuard.ReadBounded(safe.Entry, owner.Origin);
            }
        }
    }
}
