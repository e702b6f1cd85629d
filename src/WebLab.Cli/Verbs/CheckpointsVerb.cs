using System.CommandLine;
using WebLab.Checkpoints;
using WebLab.Models;

namespace WebLab.Cli.Verbs;

/// <summary>weblab checkpoints: list checkpoints in a folder with their metadata.</summary>
internal static class CheckpointsVerb
{
    public static Command Create()
    {
        var folder = new Argument<string>("folder") { Description = "folder to list", DefaultValueFactory = _ => Path.Combine("data", "checkpoints") };
        var architectures = new Option<bool>("--architectures") { Description = "list the architectures instead" };
        var json = Cli.Json();
        var command = new Command("checkpoints", "List WebLab checkpoints (*.weblab) in a folder with their metadata.") { folder, architectures, json };
        command.SetAction(parse =>
        {
            if (parse.GetValue(architectures))
            {
                foreach (var a in Architectures.All)
                    Console.WriteLine($"{a.Name,-10} default {a.DefaultInputSize,3} px  {a.Description}");
                return 0;
            }
            var dir = parse.GetValue(folder)!;
            if (!Directory.Exists(dir))
                throw new BadInputException($"{dir}: no such folder.");
            var rows = new List<(string Path, CheckpointInfo? Info, string? Error)>();
            foreach (var path in Directory.EnumerateFiles(dir, "*" + Checkpoint.Extension).Order(StringComparer.Ordinal))
            {
                try
                {
                    rows.Add((path, Checkpoint.ReadInfo(path), null));
                }
                catch (BadInputException e)
                {
                    rows.Add((path, null, e.Message));
                }
            }
            if (parse.GetValue(json))
            {
                Cli.PrintJson(rows.Select(r => new { path = r.Path, info = r.Info, error = r.Error }));
                return 0;
            }
            Console.WriteLine($"{"file",-40} {"arch",-9} {"input",7} {"classes",7} {"source",-16} {"test acc",8}  created");
            foreach (var (path, info, error) in rows)
            {
                if (info is null)
                {
                    Console.WriteLine($"{Path.GetFileName(path),-40} unreadable: {error}");
                    continue;
                }
                Console.WriteLine($"{Path.GetFileName(path),-40} {info.Architecture,-9} {info.InputSize + "x" + info.Channels,7} {info.NumClasses,7} " +
                                  $"{info.SourceDataset ?? "-",-16} {(info.TestAccuracy is { } a ? a.ToString("P1") : "-"),8}  {info.Created:yyyy-MM-dd HH:mm}");
            }
            if (rows.Count == 0)
                Console.WriteLine($"(no checkpoints in {dir})");
            return 0;
        });
        return command;
    }
}
