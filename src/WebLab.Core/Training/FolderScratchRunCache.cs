using System.Text.Json;
using WebLab.Data;

namespace WebLab.Training;

/// <summary>
/// Scratch runs on disk, one JSON file per key (root/&lt;key&gt;.json), shared by every process that points at the folder: the
/// CLI's runs, or a lab's workers. A file is written under a temporary name and renamed into place, so readers see a whole
/// run or none; a file that cannot be read or does not hold the run its name promises is a miss, and the next run of that
/// key replaces it. Files hold results only (accuracies, curves, confusion, test item ids), no paths.
/// </summary>
public sealed class FolderScratchRunCache : IScratchRunCache
{
    /// <summary>The folder's name inside WebLab's cache folder (<see cref="DatasetFileOptions.CacheRoot"/>).</summary>
    public const string FolderName = "scratch-runs";

    // Strict reading: a file cut short or edited by hand must fail here, not as a null deep inside a result.
    private static readonly JsonSerializerOptions s_strict = new(WebLabJson.Compact)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public FolderScratchRunCache(string root) => Root = root;

    public string Root { get; }

    /// <summary>scratch-runs/ in WebLab's cache folder: $WEBLAB_CACHE (a lab's workers get its data/cache), else ~/.cache/weblab.</summary>
    public static string DefaultRoot => Path.Combine(DatasetFileOptions.CacheRoot, FolderName);

    /// <summary>What a file holds: the key it was stored under (a copied or renamed file does not pass for another) and the run.</summary>
    private sealed record Entry(string Key, SeedRun Run);

    public SeedRun? TryGet(string key)
    {
        var path = PathOf(key);
        try
        {
            if (!File.Exists(path))
                return null;
            var entry = JsonSerializer.Deserialize<Entry>(File.ReadAllText(path), s_strict);
            return entry?.Key == key ? entry.Run : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    public void Put(string key, SeedRun run)
    {
        var path = PathOf(key);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Root);
            File.WriteAllText(temp, JsonSerializer.Serialize(new Entry(key, run), WebLabJson.Compact));
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full or read-only disk costs the next experiment a training run, not this one its result.
            try
            {
                File.Delete(temp);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private string PathOf(string key) =>
        key.Length is > 0 and <= 128 && key.All(char.IsAsciiHexDigit)
            ? Path.Combine(Root, key + ".json")
            : throw new ArgumentException("a scratch run key is hexadecimal", nameof(key));
}
