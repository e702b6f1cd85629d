using WebLab.Transfer;

namespace WebLab.Training;

/// <summary>
/// The built-in demo, shared by the CLI, the lab's first start and its "Run the demo" button: a source model
/// pretrained on Fashion-MNIST classes 0-4 (T-shirt/top, Trouser, Pullover, Dress, Coat) transferred to classes 5-9
/// (Sandal, Shirt, Sneaker, Bag, Ankle boot) with 20 images per class, against the same model trained from random
/// initialisation, over 3 seeds. The target is not "shoes and bags": Shirt is clothing, like the source's classes.
/// </summary>
public static class Demo
{
    public const string Dataset = "fashion-mnist";

    public static IReadOnlyList<string> SourceClasses { get; } = ["0", "1", "2", "3", "4"];

    public static IReadOnlyList<string> TargetClasses { get; } = ["5", "6", "7", "8", "9"];

    public const int PerClass = 20;

    /// <summary>
    /// Pretraining epochs. Measured on the 2-core CPU: 3 epochs (92 % source accuracy) gave a source whose transfer
    /// advantage at 20 images per class (NTG about -2 points) was not separable from seed noise; 8 epochs (94 %)
    /// gave NTG -2.9 points with a 95 % interval of about -3.9 to -1.9.
    /// </summary>
    public const int SourceEpochs = 8;

    /// <summary>What the demo transfers from and to, for titles and summaries.</summary>
    public const string Title = "Fashion-MNIST 0-4 (T-shirt..Coat) -> 5-9 (Sandal, Shirt, Sneaker, Bag, Ankle boot)";

    public const string SourceName = "resnet8 on Fashion-MNIST 0-4 (clothes)";

    public const string CheckpointFileName = "fashion-mnist-0-4-resnet8.weblab";

    /// <summary>The demo source's pretraining job.</summary>
    public static PretrainSpec Source(string output, string device = "auto", int epochs = SourceEpochs) =>
        new(Dataset, SourceClasses, "resnet8", output, Epochs: epochs, Device: device, Name: SourceName);

    /// <summary>The demo experiment from <paramref name="source"/>.</summary>
    public static ExperimentSpec Experiment(string source, string device = "auto") =>
        new(Dataset, source, TargetClasses, PerClass, Seeds: 3, Device: device, Name: $"Demo: {Title}, 20 per class");

    /// <summary>
    /// The second demo, "ImageNet ResNet-18 on colour pictures": the zoo's ImageNet ResNet-18 (resnet18-imagenet, installed by
    /// the lab on its first start or by <c>weblab zoo install</c>) transferred to the emoji-nature target (colour drawings of
    /// animals, flowers, fruit and vegetables), against the same ResNet-18 from random initialisation. Its settings were
    /// chosen by running it on the 2-core development CPU at the CPU input size (bench/results/colour-demo.md).
    /// </summary>
    public static class Colour
    {
        public const string Title = "ImageNet ResNet-18 on colour pictures";

        public const string Dataset = "emoji-nature";

        /// <summary>The zoo entry the source comes from.</summary>
        public const string ZooEntry = "resnet18-imagenet";

        /// <summary>null: all seven emoji subgroups.</summary>
        public static IReadOnlyList<string>? TargetClasses { get; } = null;

        public const int PerClass = 20;

        public const int Seeds = 3;

        public const string Preset = "small-similar";

        /// <summary>
        /// The preset's dials changed for this source and a demo of a few minutes on a CPU. Budget: 40 updates of 16 images
        /// (the preset's own is 150 of 32). Head rate 0.01, not the preset's 0.05: this source's pooled features are large
        /// (0-255 BGR inputs), and at 0.05 the new head's first updates wrecked them - one seed measured here gave 54.8 %
        /// test accuracy at 0.05, below the frozen-feature probe's 60.7 %, and 73.8 % at 0.01 (bench/results/colour-demo.md).
        /// </summary>
        public static IReadOnlyDictionary<string, string> Overrides { get; } = new Dictionary<string, string>
        {
            ["steps"] = "40",
            ["batchSize"] = "16",
            ["headLearningRate"] = "0.01",
        };

        /// <summary>The demo experiment from <paramref name="source"/> (a path, or in the lab the zoo source's checkpoint id).</summary>
        public static ExperimentSpec Experiment(string source, string device = "auto") =>
            Overrides.Aggregate(new ExperimentSpec(Dataset, source, TargetClasses, PerClass, Seeds: Seeds, Device: device, Preset: Preset,
                    Name: $"Demo: {Title} (emoji-nature, {PerClass} per class)"),
                (spec, o) => DialNames.With(spec, o.Key, o.Value));
    }
}
