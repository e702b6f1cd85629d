using System.CommandLine;
using WebLab.Checkpoints;
using WebLab.Checkpoints.Zoo;
using WebLab.Training;

namespace WebLab.Cli.Verbs;

/// <summary>weblab demo: the README's first command - pretrain the demo source model; weblab demo colour: the second demo, end to end.</summary>
internal static class DemoVerb
{
    /// <summary>Where the demo source checkpoint is written: the data folder's checkpoints (WEBLAB_DATA, as for the lab, or ./data).</summary>
    public static string DefaultCheckpoint => InData(Demo.CheckpointFileName);

    /// <summary>Where the colour demo's source is installed when it is missing (data/checkpoints/resnet18-imagenet.weblab).</summary>
    public static string DefaultZooCheckpoint => InData(Demo.Colour.ZooEntry + Checkpoint.Extension);

    private static string InData(string file) =>
        Path.Combine(Environment.GetEnvironmentVariable("WEBLAB_DATA") is { Length: > 0 } data ? data : "data", "checkpoints", file);

    public static Command Create()
    {
        var epochs = new Option<int>("--epochs") { Description = "pretraining epochs", DefaultValueFactory = _ => Demo.SourceEpochs };
        var device = Cli.Device();
        var json = Cli.Json();
        var noInstall = Cli.NoInstall();
        var command = new Command("demo",
            "Pretrain the demo source model: a small ResNet on Fashion-MNIST classes 0-4 (T-shirt/top, Trouser, Pullover, Dress, Coat), " +
            "and report its test accuracy.")
        {
            epochs, device, json, noInstall,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            Console.Error.WriteLine("WebLab demo: pretraining a source model on Fashion-MNIST classes 0-4 (clothes).");
            return Task.FromResult(PretrainVerb.Run(Demo.Source(DefaultCheckpoint, parse.GetValue(device)!, parse.GetValue(epochs)),
                parse.GetValue(json), parse.GetValue(noInstall), cancellationToken));
        });
        command.Subcommands.Add(Colour());
        return command;
    }

    private static Command Colour()
    {
        var source = new Option<string?>("--source")
        {
            Description = $"the ImageNet ResNet-18 checkpoint (default: {DefaultZooCheckpoint}, installed from the zoo when missing)",
        };
        var device = Cli.Device();
        var json = Cli.JsonFile();
        var noInstall = Cli.NoInstall();
        var command = new Command("colour",
            $"Run the second demo, \"{Demo.Colour.Title}\": the zoo's ImageNet ResNet-18 fine-tuned on emoji-nature ({Demo.Colour.PerClass} images " +
            $"per class, {Demo.Colour.Seeds} seeds, preset {Demo.Colour.Preset}) against the same ResNet-18 from random initialisation; a few minutes on a 2-core CPU.")
        {
            source, device, json, noInstall,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var path = parse.GetValue(source) ?? DefaultZooCheckpoint;
            if (parse.GetValue(source) is null && !File.Exists(path))
            {
                Console.Error.WriteLine($"WebLab demo colour: installing the zoo's {Demo.Colour.ZooEntry} to {path} (offline, a few seconds).");
                ModelZoo.Install(Demo.Colour.ZooEntry, path);
            }
            var spec = Demo.Colour.Experiment(path, parse.GetValue(device)!);
            var result = Experiment.Run(spec, new ExperimentView(), files: Cli.Files(parse.GetValue(noInstall)), cancellationToken: cancellationToken);
            ExperimentView.PrintSummary(result);
            Cli.WriteJson(parse, json, result);
            return Task.FromResult(0);
        });
        return command;
    }
}
