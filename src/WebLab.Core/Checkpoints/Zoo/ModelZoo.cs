using System.Reflection;
using TorchSharp;
using WebLab.Models;

namespace WebLab.Checkpoints.Zoo;

/// <summary>A source checkpoint WebLab installs offline, converted from files that ship beside it (zoo/ID/ next to the program).</summary>
/// <param name="Id">What users type: weblab zoo install ID.</param>
/// <param name="Architecture">The WebLab architecture its weights become.</param>
/// <param name="Origin">Where the files come from (a NuGet package the build restores).</param>
public sealed record ZooEntry(string Id, string Name, string Architecture, int InputSize, string SourceDataset, string Description,
    string License, string Origin, IReadOnlyList<string> Files)
{
    /// <summary>The folder its files are copied to by the build.</summary>
    public string Folder => Path.Combine(AppContext.BaseDirectory, "zoo", Id);

    /// <summary>True when every file is there (they are, in any build of WebLab; not in a bare copy of the dll).</summary>
    public bool Available => Files.All(f => File.Exists(Path.Combine(Folder, f)));
}

/// <summary>How far an installation is.</summary>
public sealed record ZooProgress(int Step, int Steps, string Stage)
{
    public double Fraction => (double)Step / Steps;
}

/// <summary>The built-in model zoo: checkpoints converted from files the build restores, so installing needs no network.</summary>
public static class ModelZoo
{
    /// <summary>ImageNet ResNet-18 from ML.NET's DnnImageFeaturizer (CNTK-trained, exported to ONNX without its classifier).</summary>
    public const string ResNet18ImageNet = "resnet18-imagenet";

    private const string ResNetFile = "ResNet18.onnx";
    private const string PreprocessFile = "ResNetPreprocess.onnx";
    private const int Steps = 5;

    /// <summary>Every zoo entry.</summary>
    public static IReadOnlyList<ZooEntry> All { get; } =
    [
        new(ResNet18ImageNet, "ResNet-18 (ImageNet, ML.NET)", "resnet18-cntk", 224, "imagenet-1k",
            "ImageNet-1k ResNet-18 features (512-d, no classifier head); BGR pixels 0-255 minus a 224x224 mean image",
            "MIT", $"NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 {PackageVersion()}", [ResNetFile, PreprocessFile]),
    ];

    /// <summary>The entry called <paramref name="id"/>.</summary>
    public static ZooEntry Get(string id) =>
        All.FirstOrDefault(e => e.Id.Equals(id, StringComparison.OrdinalIgnoreCase))
        ?? throw new BadInputException($"The zoo has no model '{id}'. It has: {string.Join(", ", All.Select(e => e.Id))} (weblab zoo list).");

    /// <summary>Converts <paramref name="id"/>'s files into a WebLab checkpoint at <paramref name="outputPath"/>.</summary>
    public static CheckpointInfo Install(string id, string outputPath, IProgress<ZooProgress>? progress = null)
    {
        var entry = Get(id);
        if (!entry.Available)
            throw new BadInputException($"{entry.Id}'s files are not in {entry.Folder} ({string.Join(", ", entry.Files)}); " +
                                        $"they come with WebLab's build ({entry.Origin}): run weblab from its build output.");
        var architecture = Architectures.Get(entry.Architecture);
        var shape = (ResNetShape)architecture.Family;

        progress?.Report(new ZooProgress(0, Steps, $"reading {ResNetFile}"));
        var graph = OnnxGraph.Read(Path.Combine(entry.Folder, ResNetFile));
        progress?.Report(new ZooProgress(1, Steps, "mapping weights to torchvision names"));
        var weights = OnnxResNet.Read(graph, shape, entry.InputSize);
        progress?.Report(new ZooProgress(2, Steps, $"reading {PreprocessFile}"));
        var preprocess = OnnxPreprocess.Read(OnnxGraph.Read(Path.Combine(entry.Folder, PreprocessFile)));
        if (!preprocess.Shape.SequenceEqual([3L, entry.InputSize, entry.InputSize]))
            throw new BadInputException($"{PreprocessFile}: the mean image is [{string.Join(", ", preprocess.Shape)}]; {entry.Id} takes 3 x {entry.InputSize} x {entry.InputSize}.");

        progress?.Report(new ZooProgress(3, Steps, "loading weights"));
        var info = new CheckpointInfo(architecture.Name, entry.InputSize, 3, [], [0, 0, 0], [1, 1, 1],
            Name: entry.Name, SourceDataset: entry.SourceDataset,
            Training: new TrainingRecord("import", Settings: new Dictionary<string, string>
            {
                ["zoo"] = entry.Id, ["origin"] = entry.Origin, ["license"] = entry.License, ["files"] = string.Join(", ", entry.Files),
            }),
            Created: DateTimeOffset.UtcNow,
            // ML.NET hands this graph pixels as extracted, 0-255 in RGB; its preprocessing graph turns them into BGR minus the mean image.
            Encoding: new InputEncoding(preprocess.Order, PixelScale: 255, MeanImage: true));
        using var model = architecture.Create(info.ModelSpec);
        Load(model, weights, graph.Name);
        using var meanImage = torch.tensor(preprocess.MeanImage, preprocess.Shape);
        progress?.Report(new ZooProgress(4, Steps, $"writing {Path.GetFileName(outputPath)}"));
        Checkpoint.Save(outputPath, model, info, meanImage);
        progress?.Report(new ZooProgress(Steps, Steps, "done"));
        return Checkpoint.ReadInfo(outputPath);
    }

    // Every parameter and buffer of the model comes from exactly one ONNX weight of the same shape.
    private static void Load(BlockModel model, IReadOnlyList<NamedWeight> weights, string file)
    {
        var state = model.state_dict();
        var wanted = state.Keys.Where(k => !StateDicts.IsIgnored(k)).ToHashSet();
        var read = weights.Select(w => w.Name).ToHashSet();
        if (!wanted.SetEquals(read) || read.Count != weights.Count)
            throw new BadInputException($"{file}: the graph's weights do not fit {model.Spec.Architecture}: " +
                                        $"missing {string.Join(", ", wanted.Except(read).Take(4))}; extra {string.Join(", ", read.Except(wanted).Take(4))}.");
        using var _ = torch.no_grad();
        foreach (var weight in weights)
        {
            var target = state[weight.Name];
            if (!weight.Shape.SequenceEqual(target.shape))
                throw new BadInputException($"{file}: '{weight.OnnxName}' is [{string.Join(", ", weight.Shape)}] but {weight.Name} needs [{string.Join(", ", target.shape)}].");
            using var value = torch.tensor(weight.Values, weight.Shape);
            target.copy_(value);
        }
    }

    private static string PackageVersion() =>
        typeof(ModelZoo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "DnnResNet18Version")?.Value ?? "?";
}
