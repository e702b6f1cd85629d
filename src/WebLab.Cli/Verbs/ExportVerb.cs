using System.CommandLine;
using WebLab.Checkpoints;

namespace WebLab.Cli.Verbs;

/// <summary>weblab export: a WebLab checkpoint as plain safetensors.</summary>
internal static class ExportVerb
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "WebLab checkpoint (.weblab)" };
        var output = new Option<string>("--out") { Description = "safetensors file to write", Required = true };
        var command = new Command("export", "Export a checkpoint as plain safetensors with torchvision key names (loads in PyTorch with safetensors.torch.load_file).")
        {
            checkpoint, output,
        };
        command.SetAction(parse =>
        {
            Checkpoint.ExportSafeTensors(parse.GetValue(checkpoint)!, parse.GetRequiredValue(output));
            Console.WriteLine($"Wrote {parse.GetRequiredValue(output)}");
            return 0;
        });
        return command;
    }
}
