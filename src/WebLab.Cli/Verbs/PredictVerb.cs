using System.CommandLine;
using WebLab.Training;

namespace WebLab.Cli.Verbs;

/// <summary>weblab predict: top-k classes of an image.</summary>
internal static class PredictVerb
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "WebLab checkpoint (.weblab)", Required = true };
        var image = new Option<string>("--image") { Description = "image file (JPEG, PNG, BMP, WebP)", Required = true };
        var top = new Option<int>("--top") { Description = "how many classes to show", DefaultValueFactory = _ => 5 };
        var device = Cli.Device();
        var json = Cli.Json();
        var command = new Command("predict", "Classify an image with a checkpoint and print the top classes with probabilities.")
        {
            checkpoint, image, top, device, json,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(image);
            if (!File.Exists(path))
                throw new BadInputException($"{path}: no such file.");
            using var predictor = new Predictor(parse.GetRequiredValue(checkpoint), parse.GetValue(device)!);
            var scores = predictor.Predict(File.ReadAllBytes(path), Path.GetFileName(path), parse.GetValue(top));
            if (parse.GetValue(json))
            {
                Cli.PrintJson(new { image = path, checkpoint = predictor.Info.Name, predictions = scores });
                return 0;
            }
            foreach (var s in scores)
                Console.WriteLine($"{s.Probability,7:P2}  {s.Name}");
            return 0;
        });
        return command;
    }
}
