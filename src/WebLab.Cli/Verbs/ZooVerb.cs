using System.CommandLine;
using WebLab.Checkpoints;
using WebLab.Checkpoints.Zoo;

namespace WebLab.Cli.Verbs;

/// <summary>weblab zoo list|install: the built-in model zoo, installed offline from files shipped with weblab.</summary>
internal static class ZooVerb
{
    public static Command Create()
    {
        var command = new Command("zoo", "The built-in model zoo: pretrained sources that install offline (their files ship with weblab).");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Install());
        return command;
    }

    private static Command List()
    {
        var json = Cli.Json();
        var command = new Command("list", "List the zoo's models and whether their files are here.") { json };
        command.SetAction(parse =>
        {
            if (parse.GetValue(json))
            {
                Cli.PrintJson(ModelZoo.All.Select(e => new { e.Id, e.Name, e.Architecture, e.InputSize, e.SourceDataset, e.Description, e.License, e.Origin, e.Available }));
                return 0;
            }
            foreach (var e in ModelZoo.All)
            {
                Console.WriteLine($"{e.Id,-20} {e.Architecture,-14} {e.InputSize,3} px  {(e.Available ? "available" : "files missing")}");
                Console.WriteLine($"{"",-20} {e.Description}");
                Console.WriteLine($"{"",-20} {e.License}; from {e.Origin}");
            }
            return 0;
        });
        return command;
    }

    private static Command Install()
    {
        var id = new Argument<string>("model") { Description = "zoo id, e.g. " + ModelZoo.ResNet18ImageNet };
        var output = new Option<string?>("--out") { Description = "checkpoint to write (default: data/checkpoints/MODEL.weblab)" };
        var json = Cli.Json();
        var command = new Command("install", "Convert a zoo model into a WebLab checkpoint (offline; every weight's shape and every node's padding is checked).")
        {
            id, output, json,
        };
        command.SetAction(parse =>
        {
            var model = parse.GetValue(id)!;
            var outPath = parse.GetValue(output) ?? Path.Combine("data", "checkpoints", ModelZoo.Get(model).Id + Checkpoint.Extension);
            var bar = new ProgressBar();
            var info = ModelZoo.Install(model, outPath, bar);
            bar.Finish();
            if (parse.GetValue(json))
                Cli.PrintJson(new { checkpoint = outPath, info });
            else
                Console.WriteLine($"Installed {info.Name}: {info.Architecture}, {info.InputSize} px, " +
                                  $"{(info.HasHead ? $"{info.NumClasses} classes" : "no classifier head (features only)")}, to {outPath}");
            return 0;
        });
        return command;
    }
}
