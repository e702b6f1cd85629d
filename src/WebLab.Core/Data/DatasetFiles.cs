using System.IO.Compression;

namespace WebLab.Data;

/// <summary>Where catalogue files may be looked for and put.</summary>
/// <param name="CacheDirectory">Downloads land here, under the dataset id (default: $WEBLAB_CACHE/datasets or ~/.cache/weblab/datasets).</param>
/// <param name="AllowDownload">Try the catalogue URLs when no local copy exists.</param>
/// <param name="InstallPackage">Called with a Debian package name as a last resort; returns true if it installed it.</param>
/// <param name="TileCacheDirectory">Decoded image-folder tiles, shared by every load (default: <see cref="Tiles.TileCache.DefaultRoot"/>).</param>
public sealed record DatasetFileOptions(string? CacheDirectory = null, bool AllowDownload = true, Func<string, bool>? InstallPackage = null,
    string? TileCacheDirectory = null)
{
    /// <summary>The tile cache these options point at.</summary>
    public Tiles.TileCache TileCache => new(TileCacheDirectory ?? Tiles.TileCache.DefaultRoot);

    /// <summary>WebLab's cache folder: $WEBLAB_CACHE (the lab points its workers into its data folder), else ~/.cache/weblab.</summary>
    public static string CacheRoot =>
        Environment.GetEnvironmentVariable("WEBLAB_CACHE") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "weblab");

    /// <summary>The default download cache folder.</summary>
    public static string DefaultCacheDirectory => Path.Combine(CacheRoot, "datasets");
}

/// <summary>
/// Finds a catalogue dataset's files: local folders first, then the download cache, then the URLs
/// (verified by SHA-256, written to a temp file and renamed), then the Debian package if a hook allows it.
/// </summary>
public static class DatasetFiles
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromMinutes(30) };

    /// <summary>True if every file of <paramref name="entry"/> is already on this machine (no download).</summary>
    public static bool IsAvailable(CatalogEntry entry, DatasetFileOptions? options = null) =>
        entry.Readable && entry.Obtain.Files.Count > 0 && FindLocal(entry, options ?? new DatasetFileOptions()) is not null;

    /// <summary>Returns role -> path for every file of the entry, fetching what is missing.</summary>
    public static IReadOnlyDictionary<string, string> Locate(CatalogEntry entry, DatasetFileOptions options, IProgress<string>? status = null,
        CancellationToken cancellationToken = default)
    {
        if (entry.Obtain.Files.Count == 0)
            throw new BadInputException($"{entry.Name}: datasets.json lists no files for it. {entry.Obtain.Manual}");
        if (FindLocal(entry, options) is { } local)
            return local;

        var errors = new List<string>();
        if (options.AllowDownload)
        {
            try
            {
                return Download(entry, options, status, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or BadInputException
                                          && !cancellationToken.IsCancellationRequested)
            {
                errors.Add($"download failed ({e.Message})");
            }
        }
        if (entry.Obtain.DebianPackage is { } package && options.InstallPackage is { } install)
        {
            status?.Report($"installing Debian package {package}");
            if (install(package) && FindLocal(entry, options) is { } installed)
                return installed;
            errors.Add($"installing the Debian package {package} did not provide the files");
        }
        var hint = entry.Obtain.DebianPackage is { } pkg ? $" On Debian: apt-get install {pkg}." : "";
        throw new BadInputException(
            $"{entry.Name} is not available on this machine: {string.Join("; ", errors.DefaultIfEmpty("downloads are off"))}.{hint}");
    }

    // Each file from the first folder that has it: a dataset made from several Debian packages has them in several folders.
    private static Dictionary<string, string>? FindLocal(CatalogEntry entry, DatasetFileOptions options)
    {
        var folders = entry.Obtain.Local.Append(CacheFolder(entry, options)).ToList();
        var found = new Dictionary<string, string>();
        foreach (var file in entry.Obtain.Files)
        {
            var path = folders.SelectMany(folder => Candidates(folder, file.Name)).FirstOrDefault(File.Exists);
            if (path is null)
                return null;
            found[file.Role] = path;
        }
        return found;
    }

    private static IEnumerable<string> Candidates(string folder, string name)
    {
        yield return Path.Combine(folder, name);
        if (name.EndsWith(".gz", StringComparison.Ordinal))
            yield return Path.Combine(folder, name[..^3]);
    }

    private static string CacheFolder(CatalogEntry entry, DatasetFileOptions options) =>
        Path.Combine(options.CacheDirectory ?? DatasetFileOptions.DefaultCacheDirectory, entry.Id);

    private static Dictionary<string, string> Download(CatalogEntry entry, DatasetFileOptions options, IProgress<string>? status,
        CancellationToken cancellationToken)
    {
        var folder = CacheFolder(entry, options);
        Directory.CreateDirectory(folder);
        var result = new Dictionary<string, string>();
        foreach (var file in entry.Obtain.Files)
        {
            var target = Path.Combine(folder, file.Name);
            if (!File.Exists(target))
                DownloadOne(entry, file, target, status, cancellationToken);
            result[file.Role] = target;
        }
        return result;
    }

    private static void DownloadOne(CatalogEntry entry, CatalogFile file, string target, IProgress<string>? status, CancellationToken cancellationToken)
    {
        if (file.Sha256 is null)
            throw new BadInputException($"{entry.Name}: {file.Name} has no SHA-256 in datasets.json, so it is not downloaded automatically.");
        var temp = target + ".part";
        Exception? last = null;
        foreach (var url in file.Urls)
        {
            try
            {
                status?.Report($"downloading {url}");
                using (var response = s_http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).GetAwaiter().GetResult())
                {
                    response.EnsureSuccessStatusCode();
                    using var body = response.Content.ReadAsStream(cancellationToken);
                    using var output = File.Create(temp);
                    body.CopyTo(output);
                }
                var actual = HashOf(temp, file.Sha256Of == "content");
                if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
                    throw new BadInputException($"{url}: SHA-256 {actual} does not match the catalogue's {file.Sha256}.");
                File.Move(temp, target, overwrite: true);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or BadInputException
                                          && !cancellationToken.IsCancellationRequested)
            {
                last = e;
                File.Delete(temp);
            }
        }
        throw new IOException($"{file.Name}: every URL failed (last: {last?.Message})", last);
    }

    /// <summary>SHA-256 of a file, or of its gunzipped content when <paramref name="content"/> and it is gzip.</summary>
    public static string HashOf(string path, bool content)
    {
        using var stream = File.OpenRead(path);
        var head = new byte[2];
        int n = stream.Read(head);
        stream.Position = 0;
        if (content && n == 2 && head[0] == 0x1f && head[1] == 0x8b)
            return HashingStream.Of(new GZipStream(stream, CompressionMode.Decompress));
        return HashingStream.Of(stream);
    }
}
