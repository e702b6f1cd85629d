using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Data;

/// <summary>
/// Reads UCI's optical recognition of handwritten digits (optdigits; the copy scikit-learn ships as digits.csv.gz, 1,797 images):
/// one image per line, 64 comma-separated counts 0..16 (how many of a 4x4 block's pixels were ink in a 32x32 bitmap, row-major
/// 8 x 8) and then the digit. Counts become bytes as round(count x 255 / 16), ink bright as in MNIST.
/// </summary>
public static class OptDigits
{
    private const int Side = 8;
    private const int Pixels = Side * Side;
    private const int MaxCount = 16;

    internal static LoadedDataset Load(CatalogEntry entry, string csv, DatasetLoadOptions options)
    {
        var text = ReadText(csv, entry.Obtain.Files.FirstOrDefault(f => f.Sha256Of == "content")?.Sha256);
        var pixels = new List<byte>();
        var labels = new List<int>();
        int lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Trim().Length == 0)
                continue;
            var fields = line.Split(',');
            if (fields.Length != Pixels + 1)
                throw new BadInputException($"{Path.GetFileName(csv)} line {lineNumber}: {fields.Length} fields, expected 64 counts and a digit.");
            for (int p = 0; p < Pixels; p++)
                pixels.Add((byte)Math.Round(Field(fields[p], MaxCount, csv, lineNumber) * 255.0 / MaxCount));
            labels.Add(Field(fields[Pixels], 9, csv, lineNumber));
        }
        if (labels.Count == 0)
            throw new BadInputException($"{Path.GetFileName(csv)} holds no images.");
        int n = labels.Count;
        var tiles = DatasetLoader.NativeTiles(torch.tensor(pixels.ToArray(), [n, 1, Side, Side], ScalarType.Byte), options);
        var classNames = entry.ClassNames ?? Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray();
        var ids = Enumerable.Range(0, n).Select(i => $"optdigits#{i}").ToArray();
        return new LoadedDataset(entry.Name, new LabeledImages(tiles, Enumerable.Range(0, n).ToArray(), labels.ToArray(), classNames, ids),
            null, null, [], entry, entry.Flip);
    }

    // The whole file is 0.5 MB of text; it is checked against the catalogue's content hash before it is parsed.
    private static string ReadText(string path, string? sha256)
    {
        using var file = File.OpenRead(path);
        bool gzip = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var buffer = new MemoryStream();
        try
        {
            stream.CopyTo(buffer);
        }
        catch (InvalidDataException e)
        {
            throw new BadInputException($"{Path.GetFileName(path)} is not a readable gzip file ({e.Message}).", e);
        }
        var bytes = buffer.ToArray();
        if (sha256 is not null && !string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha256, StringComparison.OrdinalIgnoreCase))
            throw new BadInputException($"{Path.GetFileName(path)}: its content does not match the catalogue's SHA-256; is it scikit-learn's digits.csv.gz?");
        return Encoding.ASCII.GetString(bytes);
    }

    private static int Field(string field, int max, string path, int line) =>
        int.TryParse(field.Trim(), out var value) && value >= 0 && value <= max
            ? value
            : throw new BadInputException($"{Path.GetFileName(path)} line {line}: '{field.Trim()}' is not a whole number from 0 to {max}.");
}
