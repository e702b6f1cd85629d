using TorchSharp;
using WebLab.Models;
using static TorchSharp.torch;

namespace WebLab.Checkpoints;

/// <summary>A model with its checkpoint metadata. Disposing frees the model's native memory.</summary>
/// <param name="MeanImage">The per-pixel mean image [C, H, W] on the CPU when <see cref="InputEncoding.MeanImage"/> says there is one.</param>
public sealed record LoadedCheckpoint(BlockModel Model, CheckpointInfo Info, Tensor? MeanImage = null) : IDisposable
{
    public void Dispose()
    {
        Model.Dispose();
        MeanImage?.Dispose();
    }
}

/// <summary>
/// WebLab's checkpoint format: a safetensors file (torchvision key names, float32) whose header metadata
/// carries <see cref="CheckpointInfo"/> as JSON under "weblab.info". Any safetensors reader can open it;
/// WebLab refuses files without that metadata as checkpoints (import them instead).
/// </summary>
public static class Checkpoint
{
    /// <summary>File extension of WebLab checkpoints.</summary>
    public const string Extension = ".weblab";

    /// <summary>The tensor holding a checkpoint's mean image (<see cref="InputEncoding.MeanImage"/>); not a weight of the model.</summary>
    public const string MeanImageKey = "weblab.mean_image";

    private const string InfoKey = "weblab.info";
    private const string VersionKey = "weblab.checkpoint";

    /// <summary>
    /// Writes <paramref name="model"/>'s state dict and <paramref name="info"/> atomically (temp file + rename), with the mean
    /// image when <paramref name="info"/>'s encoding has one.
    /// </summary>
    public static void Save(string path, BlockModel model, CheckpointInfo info, Tensor? meanImage = null)
    {
        if (model.Spec.NumClasses != info.NumClasses)
            throw new ArgumentException($"model has {model.Spec.NumClasses} outputs but info lists {info.NumClasses} classes");
        if (info.Input.MeanImage != (meanImage is not null))
            throw new ArgumentException(info.Input.MeanImage ? "the encoding has a mean image but none was given" : "a mean image was given but the encoding has none");
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [VersionKey] = "1",
            [InfoKey] = WebLabJson.Serialize(info with { Created = info.Created ?? DateTimeOffset.UtcNow }),
        };
        var tensors = StateTensors(model);
        if (meanImage is not null)
            tensors = [.. tensors, (MeanImageKey, meanImage)];
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Reads only the metadata (fast; no tensors).</summary>
    public static CheckpointInfo ReadInfo(string path)
    {
        RefusePickle(path);
        using var file = SafeTensors.Open(path);
        return InfoOf(file);
    }

    /// <summary>Loads a checkpoint's model onto <paramref name="device"/> (CPU when null), in eval mode.</summary>
    public static LoadedCheckpoint Load(string path, Device? device = null)
    {
        RefusePickle(path);
        using var file = SafeTensors.Open(path);
        var info = InfoOf(file);
        var model = Architectures.Create(info.ModelSpec);
        try
        {
            StateDicts.Load(model, file);
            if (device is not null && device.type != DeviceType.CPU)
                model.to(device);
            model.eval();
            return new LoadedCheckpoint(model, info, info.Input.MeanImage ? ReadMeanImage(file, info) : null);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static Tensor ReadMeanImage(SafeTensors file, CheckpointInfo info)
    {
        if (!file.Tensors.TryGetValue(MeanImageKey, out var entry))
            throw new BadInputException($"{file.Name}: its metadata promises a mean image but the file has no '{MeanImageKey}' tensor.");
        if (entry.Shape.Length != 3 || entry.Shape[0] != info.Channels)
            throw new BadInputException(
                $"{file.Name}: '{MeanImageKey}' has shape [{string.Join(", ", entry.Shape)}]; a mean image is [{info.Channels}, height, width].");
        return file.ReadFloat32(MeanImageKey);
    }

    /// <summary>Exports a checkpoint as plain safetensors with torchvision key names (no WebLab metadata).</summary>
    public static void ExportSafeTensors(string checkpointPath, string outputPath)
    {
        using var loaded = Load(checkpointPath);
        SafeTensors.Write(outputPath, StateTensors(loaded.Model), new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>State-dict entries to store (every parameter and buffer, torchvision's names).</summary>
    internal static IReadOnlyList<(string, Tensor)> StateTensors(BlockModel model) =>
        model.state_dict().Select(kv => (kv.Key, kv.Value)).ToList();

    private static CheckpointInfo InfoOf(SafeTensors file)
    {
        if (!file.Metadata.TryGetValue(InfoKey, out var json))
            throw new BadInputException(
                $"{file.Name} is a safetensors file without WebLab metadata; import it first (weblab import --arch ... --input-size ...).");
        return WebLabJson.Deserialize<CheckpointInfo>(json, $"{file.Name} (WebLab metadata)");
    }

    /// <summary>
    /// Refuses PyTorch pickle checkpoints (.pt/.pth): unpickling runs arbitrary code. Says how to convert.
    /// </summary>
    public static void RefusePickle(string path)
    {
        if (!File.Exists(path))
            throw new BadInputException($"{path}: no such file.");
        Span<byte> head = stackalloc byte[4];
        int n;
        using (var file = File.OpenRead(path))
            n = file.Read(head);
        bool zip = n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        bool pickle = n >= 2 && head[0] == 0x80 && head[1] <= 5;
        if (zip || pickle)
            throw new BadInputException(
                $"{Path.GetFileName(path)} is a PyTorch pickle checkpoint; pickle files can run arbitrary code when loaded, so WebLab does not read them. " +
                "Convert it once with PyTorch: python -c \"import torch; from safetensors.torch import save_file; " +
                "sd = torch.load('model.pth', map_location='cpu', weights_only=True); " +
                "save_file({k: v.contiguous() for k, v in sd.items()}, 'model.safetensors')\" " +
                "(for torchvision: save_file(torchvision.models.resnet18(weights='DEFAULT').state_dict(), 'resnet18.safetensors')), " +
                "then: weblab import model.safetensors --arch resnet18 --input-size 224.");
    }
}
