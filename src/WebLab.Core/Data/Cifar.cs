using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Data;

/// <summary>
/// Reads the binary versions of CIFAR-10 and CIFAR-100 straight from their .tar.gz (nothing is extracted).
/// CIFAR-10 records are 1 label byte + 3072 pixel bytes; CIFAR-100 records are coarse + fine label + 3072.
/// </summary>
public static class Cifar
{
    private const int Pixels = 3 * 32 * 32;

    internal static LoadedDataset Load(CatalogEntry entry, string archive, DatasetLoadOptions options)
    {
        bool hundred = entry.Classes == 100;
        int labelBytes = hundred ? 2 : 1;
        var train = new List<byte[]>();
        var test = new List<byte[]>();
        string? names = null;
        TarGz.ForEachFile(archive, (path, data) =>
        {
            var name = Path.GetFileName(path);
            if (name.StartsWith("data_batch_", StringComparison.Ordinal) || name == "train.bin")
                train.Add(ReadAll(data));
            else if (name is "test_batch.bin" or "test.bin")
                test.Add(ReadAll(data));
            else if (name is "batches.meta.txt" or "fine_label_names.txt")
                names = System.Text.Encoding.UTF8.GetString(ReadAll(data));
        });
        if (train.Count == 0 || test.Count == 0)
            throw new BadInputException($"{archive}: no CIFAR training/test batches found in the archive.");
        var classNames = entry.ClassNames ?? names?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            ?? Enumerable.Range(0, entry.Classes).Select(i => i.ToString()).ToArray();
        var trainSet = Records(train, labelBytes, classNames, "train", archive, options);
        var testSet = Records(test, labelBytes, classNames, "test", archive, options);
        return new LoadedDataset(entry.Name, trainSet, null, testSet, [], entry, entry.Flip);
    }

    private static byte[] ReadAll(Stream data)
    {
        using var memory = new MemoryStream();
        data.CopyTo(memory);
        return memory.ToArray();
    }

    private static LabeledImages Records(List<byte[]> batches, int labelBytes, IReadOnlyList<string> classNames, string split,
        string archive, DatasetLoadOptions options)
    {
        int record = labelBytes + Pixels;
        var bad = batches.FirstOrDefault(b => b.Length % record != 0);
        if (bad is not null)
            throw new BadInputException($"{archive}: a {split} batch is {bad.Length} bytes, not a whole number of {record}-byte records.");
        int n = batches.Sum(b => b.Length / record);
        var pixels = new byte[(long)n * Pixels];
        var labels = new int[n];
        int k = 0;
        foreach (var batch in batches)
        {
            for (int offset = 0; offset < batch.Length; offset += record, k++)
            {
                int label = batch[offset + labelBytes - 1]; // CIFAR-100: the fine label comes second
                if (label >= classNames.Count)
                    throw new BadInputException($"{archive}: {split} record {k} has label {label}, outside {classNames.Count} classes.");
                labels[k] = label;
                batch.AsSpan(offset + labelBytes, Pixels).CopyTo(pixels.AsSpan(k * Pixels, Pixels));
            }
        }
        var tiles = DatasetLoader.NativeTiles(torch.tensor(pixels, [n, 3, 32, 32], ScalarType.Byte), options);
        return new LabeledImages(tiles, Enumerable.Range(0, n).ToArray(), labels, classNames, Enumerable.Range(0, n).Select(i => $"{split}#{i}").ToArray());
    }
}
