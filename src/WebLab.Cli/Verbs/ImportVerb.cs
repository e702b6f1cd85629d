using System.CommandLine;
using System.Globalization;
using WebLab.Checkpoints;

namespace WebLab.Cli.Verbs;

/// <summary>weblab import: safetensors (torchvision key names) to a WebLab checkpoint.</summary>
internal static class ImportVerb
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "safetensors file with torchvision state-dict keys" };
        var arch = new Option<string>("--arch") { Description = "architecture, e.g. resnet18", Required = true };
        var inputSize = new Option<int>("--input-size") { Description = "input size the weights expect", DefaultValueFactory = _ => 224 };
        var classesFile = new Option<string?>("--classes-file") { Description = "text file with one class name per line, in output order" };
        var mean = new Option<string?>("--mean") { Description = "normalisation mean, comma-separated (default ImageNet's)" };
        var std = new Option<string?>("--std") { Description = "normalisation std, comma-separated (default ImageNet's)" };
        var name = new Option<string?>("--name") { Description = "display name" };
        var source = new Option<string?>("--source-dataset") { Description = "dataset the weights were trained on, e.g. imagenet-1k" };
        var output = new Option<string?>("--out") { Description = "checkpoint to write (default: FILE with .weblab)" };
        var json = Cli.Json();
        var command = new Command("import", "Import safetensors weights (torchvision key names) as a WebLab checkpoint, validating every key and shape.")
        {
            file, arch, inputSize, classesFile, mean, std, name, source, output, json,
        };
        command.SetAction(parse =>
        {
            var input = parse.GetValue(file)!;
            var outPath = parse.GetValue(output) ?? Path.ChangeExtension(input, Checkpoint.Extension);
            var classes = parse.GetValue(classesFile) is { } cf
                ? File.ReadAllLines(cf).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray()
                : null;
            var info = CheckpointImporter.Import(input, outPath, new ImportOptions(parse.GetValue(arch)!, parse.GetValue(inputSize), classes,
                Floats(parse.GetValue(mean), "--mean"), Floats(parse.GetValue(std), "--std"), parse.GetValue(name), parse.GetValue(source)));
            if (parse.GetValue(json))
                Cli.PrintJson(new { checkpoint = outPath, info });
            else
                Console.WriteLine($"Imported {info.Architecture} ({info.NumClasses} classes, {info.Channels} channels, {info.InputSize} px) to {outPath}");
            return 0;
        });
        return command;
    }

    private static float[]? Floats(string? list, string option)
    {
        if (list is null)
            return null;
        try
        {
            return list.Split(',').Select(v => float.Parse(v.Trim(), CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new BadInputException($"{option} must be comma-separated numbers (got '{list}').");
        }
    }
}
