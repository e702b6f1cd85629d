using WebLab.Models;

namespace WebLab.Checkpoints;

/// <summary>How to interpret a foreign safetensors file.</summary>
/// <param name="Architecture">Registry name, e.g. resnet18.</param>
/// <param name="InputSize">Input size the weights were trained at (224 for torchvision ImageNet models).</param>
/// <param name="ClassNames">Names of the head's outputs; null gives "0".."K-1".</param>
/// <param name="Mean">Normalisation mean; null gives ImageNet's for 3 channels, 0.5 for 1.</param>
/// <param name="Std">Normalisation std; null gives ImageNet's for 3 channels, 0.5 for 1.</param>
/// <param name="Name">Display name.</param>
/// <param name="SourceDataset">Dataset the weights came from (e.g. imagenet-1k).</param>
public sealed record ImportOptions(
    string Architecture,
    int InputSize,
    IReadOnlyList<string>? ClassNames = null,
    float[]? Mean = null,
    float[]? Std = null,
    string? Name = null,
    string? SourceDataset = null);

/// <summary>Imports safetensors weights with torchvision key names as a WebLab checkpoint.</summary>
public static class CheckpointImporter
{
    /// <summary>Validates <paramref name="safetensorsPath"/> against the architecture and writes a checkpoint.</summary>
    public static CheckpointInfo Import(string safetensorsPath, string outputPath, ImportOptions options)
    {
        Checkpoint.RefusePickle(safetensorsPath);
        using var file = SafeTensors.Open(safetensorsPath);
        var architecture = Architectures.Get(options.Architecture);
        var family = architecture.Family;
        if (!file.Tensors.TryGetValue(family.InputWeightKey, out var input) || input.Shape.Length != 4)
            throw new BadInputException($"{file.Name}: no 4-D '{family.InputWeightKey}'; this does not look like a {architecture.Name} state dict.");
        if (!file.Tensors.TryGetValue(family.Head.Weight, out var head) || head.Shape.Length != 2)
            throw new BadInputException($"{file.Name}: no 2-D '{family.Head.Weight}'; this does not look like a {architecture.Name} state dict.");
        int channels = (int)input.Shape[1];
        int classes = (int)head.Shape[0];
        var names = options.ClassNames ?? Enumerable.Range(0, classes).Select(i => i.ToString()).ToArray();
        if (names.Count != classes)
            throw new BadInputException($"{file.Name}: the head has {classes} outputs but {names.Count} class names were given.");
        var mean = options.Mean ?? (channels == 3 ? CheckpointInfo.ImageNetMean : [0.5f]);
        var std = options.Std ?? (channels == 3 ? CheckpointInfo.ImageNetStd : [0.5f]);
        if (mean.Length != channels || std.Length != channels)
            throw new BadInputException($"Mean and std need {channels} values each (the weights take {channels}-channel input).");
        if (std.Any(s => s <= 0))
            throw new BadInputException("Std values must be positive.");

        var info = new CheckpointInfo(architecture.Name, options.InputSize, channels, names, mean, std,
            Name: options.Name ?? Path.GetFileNameWithoutExtension(safetensorsPath),
            SourceDataset: options.SourceDataset,
            Training: new TrainingRecord("import", Settings: new Dictionary<string, string> { ["file"] = file.Name }),
            Created: DateTimeOffset.UtcNow);
        using var model = architecture.Create(info.ModelSpec);
        StateDicts.Load(model, file);
        Checkpoint.Save(outputPath, model, info);
        return info;
    }
}
