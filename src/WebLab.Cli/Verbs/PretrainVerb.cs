using System.CommandLine;
using WebLab.Training;

namespace WebLab.Cli.Verbs;

/// <summary>weblab pretrain: train a source model and write a checkpoint.</summary>
internal static class PretrainVerb
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "catalogue id, class-folder directory or zip, or folder of IDX files", Required = true };
        var classes = new Option<string?>("--classes") { Description = "classes to train on: indices or names, comma-separated (default: all)" };
        var arch = new Option<string>("--arch") { Description = "architecture (weblab checkpoints --architectures lists them)", DefaultValueFactory = _ => "resnet8" };
        var epochs = new Option<int>("--epochs") { Description = "passes over the training split", DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch-size") { Description = "batch size", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "peak SGD learning rate (cosine decay)", DefaultValueFactory = _ => 0.1 };
        var perClass = new Option<int?>("--per-class") { Description = "training images per class (default: all)" };
        var inputSize = new Option<int?>("--input-size") { Description = "input size in pixels (default: native for small images)" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var noAugment = new Option<bool>("--no-augment") { Description = "switch off crop/flip augmentation" };
        var name = new Option<string?>("--name") { Description = "display name of the checkpoint" };
        var output = new Option<string>("--out") { Description = "checkpoint file to write (.weblab)", Required = true };
        var device = Cli.Device();
        var json = Cli.Json();
        var noInstall = Cli.NoInstall();
        var command = new Command("pretrain", "Train a source model from scratch on (some classes of) a dataset and save it as a checkpoint.")
        {
            dataset, classes, arch, epochs, batch, lr, perClass, inputSize, seed, noAugment, name, output, device, json, noInstall,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(new PretrainSpec(
                parse.GetRequiredValue(dataset), Split(parse.GetValue(classes)), parse.GetValue(arch)!, parse.GetRequiredValue(output),
                parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(lr), PerClass: parse.GetValue(perClass),
                InputSize: parse.GetValue(inputSize), Seed: parse.GetValue(seed), Device: parse.GetValue(device)!,
                Augment: !parse.GetValue(noAugment), Name: parse.GetValue(name)),
            parse.GetValue(json), parse.GetValue(noInstall), cancellationToken)));
        return command;
    }

    public static IReadOnlyList<string>? Split(string? list) =>
        string.IsNullOrWhiteSpace(list) ? null : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static int Run(PretrainSpec spec, bool json, bool noInstall, CancellationToken cancellationToken)
    {
        var bar = new ProgressBar();
        var result = Pretrainer.Run(spec, bar, Cli.Status, files: Cli.Files(noInstall), cancellationToken: cancellationToken);
        bar.Finish();
        if (json)
        {
            Cli.PrintJson(new
            {
                checkpoint = result.Checkpoint,
                testAccuracy = result.Test.Accuracy,
                testImages = result.Test.Count,
                bestValAccuracy = result.Training.BestValAccuracy,
                epochs = result.Training.Curve.Count,
                device = result.Device,
                seconds = result.Seconds,
                imagesPerSecond = result.Training.ImagesPerSecond,
                info = result.Info,
                curve = result.Training.Curve,
            });
        }
        else
        {
            Console.WriteLine($"Checkpoint: {Path.GetFullPath(result.Checkpoint)}");
            Console.WriteLine($"Source:     {result.Info.Name}");
            Console.WriteLine($"Test accuracy: {result.Test.Accuracy:P2} on {result.Test.Count} held-out test images " +
                              $"({result.Info.NumClasses} classes; chance {1.0 / result.Info.NumClasses:P0})");
            Console.WriteLine($"Trained {result.Training.Curve.Count} epochs at {result.Training.ImagesPerSecond:F0} images/s on {result.Device}; " +
                              $"total {result.Seconds:F1} s");
        }
        return 0;
    }
}
