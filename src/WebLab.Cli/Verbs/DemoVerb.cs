using System.CommandLine;
using WebLab.Training;

namespace WebLab.Cli.Verbs;

/// <summary>weblab demo: the README's first command - pretrain the demo source model.</summary>
internal static class DemoVerb
{
    /// <summary>Where the demo source checkpoint is written: the data folder's checkpoints (WEBLAB_DATA, as for the lab, or ./data).</summary>
    public static string DefaultCheckpoint =>
        Path.Combine(Environment.GetEnvironmentVariable("WEBLAB_DATA") is { Length: > 0 } data ? data : "data", "checkpoints",
            Demo.CheckpointFileName);

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
        return command;
    }
}
