namespace WebLab.Lab.Storage;

/// <summary>
/// Space held back on the data folder's disk: a file of zeros (real blocks, not a sparse file). When the disk fills,
/// nothing can be written, not even why a job stopped; the runner then releases this file, records the failure in the
/// room it leaves, and puts the reserve back once the disk has space again.
/// </summary>
public sealed class DiskReserve(DataFolder folder, long bytes, TimeProvider? time = null)
{
    private static readonly TimeSpan s_retryAfter = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private DateTimeOffset _lastFailure = DateTimeOffset.MinValue;

    public string Path => System.IO.Path.Combine(folder.Root, "disk-reserve.bin");

    /// <summary>Writes the reserve if it is missing (at most once a minute while the disk is full); true when it is in place.</summary>
    public bool Ensure()
    {
        if (bytes <= 0 || File.Exists(Path))
            return bytes <= 0 || File.Exists(Path);
        if (_time.GetUtcNow() - _lastFailure < s_retryAfter)
            return false;
        var partial = Path + ".partial";
        try
        {
            using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                var zeros = new byte[1 << 20];
                for (long written = 0; written < bytes; written += zeros.Length)
                    file.Write(zeros, 0, (int)Math.Min(zeros.Length, bytes - written));
                file.Flush(flushToDisk: true);
            }
            File.Move(partial, Path);
            return true;
        }
        catch (IOException e) when (DataFolder.IsDiskFull(e))
        {
            _lastFailure = _time.GetUtcNow();
            File.Delete(partial);
            return false;
        }
    }

    /// <summary>Frees the reserve's space; true when there was one to free.</summary>
    public bool Release()
    {
        if (!File.Exists(Path))
            return false;
        File.Delete(Path);
        return true;
    }
}
