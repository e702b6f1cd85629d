using System.Security.Cryptography;
using System.Text;

namespace WebLab.Data;

/// <summary>
/// Small PNGs of individual dataset items, named after their item ids (<see cref="LabeledImages.ItemIds"/>), so a
/// result that lists item ids - the misclassified images of a confusion cell - can show them without anyone loading
/// the dataset again.
/// </summary>
public static class ItemImages
{
    /// <summary>
    /// The file name of an item's image: a hash of its id, because ids are relative paths of user uploads and may
    /// hold any character; the name is safe in a folder and in a URL.
    /// </summary>
    public static string FileName(string itemId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(itemId)))[..16] + ".png";

    /// <summary>True if <paramref name="file"/> has the shape of a <see cref="FileName"/> (nothing else is served).</summary>
    public static bool IsFileName(string file) =>
        file.Length == 20 && file.EndsWith(".png", StringComparison.Ordinal) && file[..16].All(char.IsAsciiHexDigitLower);

    /// <summary>
    /// Writes the image of every item of <paramref name="itemIds"/> found in <paramref name="dataset"/> (any split) to
    /// <paramref name="directory"/>; returns how many were written. Ids the dataset does not have are skipped.
    /// </summary>
    public static int Write(LoadedDataset dataset, IEnumerable<string> itemIds, string directory, CancellationToken cancellationToken = default)
    {
        var wanted = itemIds.ToHashSet(StringComparer.Ordinal);
        Directory.CreateDirectory(directory);
        int written = 0;
        foreach (var split in new[] { dataset.Train, dataset.Val, dataset.Test })
        {
            if (split is null)
                continue;
            for (int i = 0; i < split.Count && wanted.Count > 0; i++)
            {
                if (!wanted.Remove(split.ItemIds[i]))
                    continue;
                cancellationToken.ThrowIfCancellationRequested();
                DatasetReport.WritePng(split, i, Path.Combine(directory, FileName(split.ItemIds[i])));
                written++;
            }
        }
        return written;
    }
}
