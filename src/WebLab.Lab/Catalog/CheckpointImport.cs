using System.Buffers.Binary;
using System.Globalization;
using WebLab.Lab.Jobs.Kinds;

namespace WebLab.Lab.Catalog;

/// <summary>
/// The fields of a weights import as people type them (the API's multipart form and the Checkpoints page bind to it):
/// an architecture, the input size the weights were trained at, and optional class names, mean and std as
/// comma-separated text.
/// </summary>
public class CheckpointImportFields
{
    public string? Architecture { get; set; }
    public int InputSize { get; set; }
    public string? ClassNames { get; set; }
    public string? Mean { get; set; }
    public string? Std { get; set; }
    public string? Name { get; set; }
    public string? SourceDataset { get; set; }

    /// <summary>Only the importer (and admins) see the imported checkpoint.</summary>
    public bool Private { get; set; }

    /// <summary>Field errors (the file aside); empty when valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Architecture) || !Models.Architectures.All.Any(a => a.Name == Architecture))
            errors["architecture"] = [$"one of {string.Join(", ", Models.Architectures.All.Select(a => a.Name))}."];
        if (InputSize is < 8 or > 1024)
            errors["inputSize"] = ["the input size the weights were trained at, 8..1024 (224 for torchvision ImageNet models)."];
        ParseFloats(Mean, "mean", errors);
        ParseFloats(Std, "std", errors);
        return errors;
    }

    /// <summary>The import job's spec for an upload saved as <paramref name="uploadName"/> (fields already valid).</summary>
    internal ImportSpec ToSpec(string uploadName, string fileName)
    {
        var errors = new Dictionary<string, string[]>();
        var name = string.IsNullOrWhiteSpace(Name) ? Path.GetFileNameWithoutExtension(fileName) : Name.Trim();
        return new ImportSpec(uploadName, Architecture!, InputSize, SplitList(ClassNames), ParseFloats(Mean, "mean", errors),
            ParseFloats(Std, "std", errors), name, string.IsNullOrWhiteSpace(SourceDataset) ? null : SourceDataset.Trim());
    }

    /// <summary>A cheap look at the first bytes, before a job reads every tensor: refuses pickles and non-safetensors files.</summary>
    internal static void CheckHeader(string path, string name)
    {
        Span<byte> head = stackalloc byte[9];
        using var file = File.OpenRead(path);
        if (file.ReadAtLeast(head, 9, throwOnEndOfStream: false) < 9)
            throw new BadInputException($"{name} is too short to be a safetensors file.");
        if (head[0] == 'P' && head[1] == 'K' || head[0] == 0x80)
            throw new BadInputException($"{name} looks like a PyTorch pickle checkpoint (.pt/.pth); WebLab never unpickles (it runs arbitrary code). " +
                                        "Convert it: python -c \"import torch; from safetensors.torch import save_file; save_file(torch.load('model.pth', weights_only=True), 'model.safetensors')\"");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (headerLength < 2 || headerLength > 100_000_000 || (long)headerLength + 8 > file.Length || head[8] != '{')
            throw new BadInputException($"{name} is not a safetensors file (bad header length or no JSON header).");
    }

    private static float[]? ParseFloats(string? text, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                errors[field] = [$"comma-separated numbers, e.g. 0.485,0.456,0.406 ('{parts[i]}' is not a number)."];
                return null;
            }
        }
        return values;
    }

    private static List<string>? SplitList(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
}
