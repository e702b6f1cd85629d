using System.CommandLine;
using WebLab.Lab.Storage;

namespace WebLab.Cli.Verbs;

/// <summary>weblab backup / weblab restore: a lab's data folder as one .tar.gz, taken while the lab runs.</summary>
internal static class BackupVerb
{
    private static Option<string> Data(string description) => new("--data")
    {
        Description = description,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("WEBLAB_DATA") is { Length: > 0 } data ? data : "data",
    };

    public static Command CreateBackup()
    {
        var data = Data("the lab's data folder (default: WEBLAB_DATA, else ./data)");
        var output = new Option<string>("--out") { Description = "the archive to write (.tar.gz)", Required = true };
        var command = new Command("backup", "Back up a lab (the database, copied online, and its datasets, checkpoints, job files and uploads) while it runs.")
        {
            data, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var manifest = await LabBackup.CreateAsync(parse.GetRequiredValue(data), parse.GetRequiredValue(output), cancellationToken);
            Console.WriteLine($"Backed up {manifest.Root} (schema {manifest.SchemaVersion}, {manifest.Files} files) to {parse.GetRequiredValue(output)}");
            return 0;
        });
        return command;
    }

    public static Command CreateRestore()
    {
        var data = Data("the folder to restore into; it must not hold a lab (default: WEBLAB_DATA, else ./data)");
        var archive = new Option<string>("--from") { Description = "an archive written by weblab backup", Required = true };
        var command = new Command("restore", "Restore a lab from weblab backup's archive into a folder without a lab (stop the lab first).")
        {
            archive, data,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = Path.GetFullPath(parse.GetRequiredValue(data));
            var manifest = await LabBackup.RestoreAsync(parse.GetRequiredValue(archive), target, cancellationToken);
            Console.WriteLine($"Restored the backup of {manifest.Root} from {manifest.CreatedAt} into {target}; integrity check ok.");
            return 0;
        });
        return command;
    }
}
