using System.CommandLine;
using WebLab.Training;

namespace WebLab.Cli.Verbs;

/// <summary>weblab embed: the pooled penultimate features of an image.</summary>
internal static class EmbedVerb
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "WebLab checkpoint (.weblab), with or without a head", Required = true };
        var image = new Option<string>("--image") { Description = "image file (JPEG, PNG, BMP, WebP)", Required = true };
        var device = Cli.Device();
        var json = Cli.Json();
        var command = new Command("embed", "Print an image's pooled penultimate features (what a head or a linear probe sees).")
        {
            checkpoint, image, device, json,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(image);
            if (!File.Exists(path))
                throw new BadInputException($"{path}: no such file.");
            using var embedder = new Embedder(parse.GetRequiredValue(checkpoint), parse.GetValue(device)!);
            var features = embedder.Embed(File.ReadAllBytes(path), Path.GetFileName(path));
            if (parse.GetValue(json))
            {
                Cli.PrintJson(new { image = path, checkpoint = embedder.Info.Name, dimensions = features.Length, features });
                return 0;
            }
            Console.WriteLine($"{features.Length} features (mean {features.Average():F4}, max {features.Max():F4}):");
            Console.WriteLine(string.Join(" ", features.Select(f => f.ToString("F4", System.Globalization.CultureInfo.InvariantCulture))));
            return 0;
        });
        return command;
    }
}
