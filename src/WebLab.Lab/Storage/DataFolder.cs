namespace WebLab.Lab.Storage;

/// <summary>
/// The lab's data folder. Every path below it is built from server-generated ids, never from user input; files
/// are written to a temporary name in the same folder and renamed into place, so a crash leaves either the old
/// state or the new one.
/// </summary>
public sealed class DataFolder
{
    public DataFolder(string root, TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        Root = Path.GetFullPath(root);
        foreach (var folder in new[] { Root, Uploads, Datasets, Checkpoints, Jobs, Temp })
            Directory.CreateDirectory(folder);
    }

    public string Root { get; }

    /// <summary>The clock of the ids in new file names.</summary>
    public TimeProvider Time { get; }

    public string DatabasePath => Path.Combine(Root, "lab.db");

    public string LockPath => Path.Combine(Root, "lab.lock");

    public string Uploads => Path.Combine(Root, "uploads");

    public string Datasets => Path.Combine(Root, "datasets");

    public string Checkpoints => Path.Combine(Root, "checkpoints");

    public string Jobs => Path.Combine(Root, "jobs");

    public string Temp => Path.Combine(Root, "tmp");

    /// <summary>Shared by this lab's workers (they get it as WEBLAB_CACHE): dataset downloads and the decoded-tile cache.</summary>
    public string Cache => Path.Combine(Root, "cache");

    /// <summary>The decoded-tile cache inside <see cref="Cache"/> (where <see cref="WebLab.Data.Tiles.TileCache.DefaultRoot"/> points workers).</summary>
    public WebLab.Data.Tiles.TileCache TileCache => new(Path.Combine(Cache, "tiles"));

    /// <summary>
    /// Finished scratch runs inside <see cref="Cache"/>, shared by this lab's experiments and sweeps (where
    /// <see cref="WebLab.Training.FolderScratchRunCache.DefaultRoot"/> points workers). Results only, one small JSON file per run.
    /// </summary>
    public string ScratchRuns => Path.Combine(Cache, WebLab.Training.FolderScratchRunCache.FolderName);

    public string DatasetFolder(string datasetId) => Path.Combine(Datasets, Checked(datasetId, "ds"));

    public string CheckpointFile(string checkpointId) => Path.Combine(Checkpoints, Checked(checkpointId, "ckpt") + ".weblab");

    public string JobFolder(string jobId) => Path.Combine(Jobs, Checked(jobId, "job"));

    /// <summary>A new name for an upload (up_... plus a short, letters-and-digits extension from the user's file name).</summary>
    public string NewUploadName(string userFileName) =>
        Ids.New("up", Time) + (Path.GetExtension(userFileName) is { Length: > 1 and <= 12 } e && e[1..].All(char.IsAsciiLetterOrDigit) ? e : ".bin");

    /// <summary>The path of an upload by its name (see <see cref="NewUploadName"/>).</summary>
    public string UploadFile(string uploadName)
    {
        var stem = Path.GetFileNameWithoutExtension(uploadName);
        return Path.GetFileName(uploadName) == uploadName && Ids.IsValid(stem, "up") ? Path.Combine(Uploads, uploadName)
            : throw new BadInputException($"'{uploadName}' is not an upload of this lab.");
    }

    /// <summary>Inside a job's folder: PNGs of the dataset items its result points at (WebLab.Data.ItemImages).</summary>
    public const string ItemImagesFolder = "items";

    public string JobItemImages(string jobId) => Path.Combine(JobFolder(jobId), ItemImagesFolder);

    /// <summary>A fresh temporary path (same file system as the data, so renames are atomic).</summary>
    public string TempFile(string extension = ".tmp") => Path.Combine(Temp, Ids.New("tmp", Time) + extension);

    /// <summary>
    /// <paramref name="text"/> with every absolute path inside the data folder made relative to it
    /// ("/srv/lab/data/datasets/ds_x/data.zip" -> "datasets/ds_x/data.zip"): what workers report (events, results,
    /// errors) passes through here before it is stored, so no response shows where the lab keeps its files.
    /// </summary>
    public string HidePaths(string text) => text.Replace(Root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);

    /// <summary>True if <paramref name="path"/> lies inside the data folder.</summary>
    public bool Contains(string path)
    {
        var full = Path.GetFullPath(path);
        return full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>Copies <paramref name="content"/> to <paramref name="path"/> through a temporary file, at most <paramref name="maxBytes"/>.</summary>
    public async Task<long> WriteAtomicAsync(Stream content, string path, long maxBytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = TempFile(Path.GetExtension(path));
        long total = 0;
        try
        {
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                        throw new UploadTooLargeException(maxBytes);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                await output.FlushAsync(cancellationToken);
                output.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            return total;
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw new BadInputException("The lab's disk is full; the upload was not kept. Free space on the lab's data disk and try again.");
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>Deletes a record's folder or file if it is inside the data folder.</summary>
    public void DeleteOwned(string path)
    {
        if (!Contains(path))
            return;
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
        else if (File.Exists(path))
            File.Delete(path);
    }

    /// <summary>ENOSPC / EDQUOT.</summary>
    public static bool IsDiskFull(IOException e) => e.HResult is 28 or 122 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    private static string Checked(string id, string prefix) =>
        Ids.IsValid(id, prefix) ? id : throw new BadInputException($"'{id}' is not a valid {prefix} id.");
}

/// <summary>An upload went over the size limit; nothing was kept.</summary>
public sealed class UploadTooLargeException(long limit)
    : BadInputException($"The upload is larger than the limit of {limit / (1024 * 1024)} MiB; nothing was kept.")
{
    public long Limit { get; } = limit;
}
