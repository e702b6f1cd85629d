using System.CommandLine;
using WebLab.Data;

namespace WebLab.Cli.Verbs;

/// <summary>weblab datasets: the catalogue, with what is available on this machine.</summary>
internal static class DatasetsVerb
{
    public static Command Create()
    {
        var json = Cli.Json();
        var command = new Command("datasets", "List the dataset catalogue (datasets.json) and which datasets are available here.") { json };
        command.SetAction(parse =>
        {
            var rows = DatasetCatalog.BuiltIn.Entries.Select(e => new
            {
                entry = e,
                availability = !e.Readable ? "manual" : DatasetFiles.IsAvailable(e) ? "here" : e.Obtain.Files.Any(f => f.Sha256 is not null) ? "download" : "manual",
            }).ToList();
            if (parse.GetValue(json))
            {
                Cli.PrintJson(rows.Select(r => new { r.entry.Id, r.entry.Name, r.availability, r.entry }));
                return 0;
            }
            Console.WriteLine($"{"id",-18} {"classes",7} {"train",8} {"test",7} {"image",11} {"role",-6} {"available",-9} {"gain",6} {"scratch",7}  domains");
            foreach (var r in rows)
            {
                var e = r.entry;
                var image = $"{e.Image.Width}x{e.Image.Height}x{e.Image.Channels}" + (e.Image.VariableSize ? "~" : "");
                Console.WriteLine($"{e.Id,-18} {e.Classes,7} {e.TrainSize,8} {e.TestSize,7} {image,11} {e.Role,-6} {r.availability,-9} " +
                                  $"{Points(e.Transfer?.GainOverRandomInit),6} {Points(e.Transfer?.RandomInitAccuracy),7}  {string.Join(",", e.Domains)}");
            }
            Console.WriteLine();
            Console.WriteLine("available: here = on this machine; download = fetched and checksummed on first use; manual = see its 'manual' note (weblab datasets --json).");
            Console.WriteLine("gain = ImageNet transfer gain over random init, scratch = random-init accuracy, in points (Kornblith et al., field guide section 7).");
            return 0;
        });
        return command;
    }

    private static string Points(double? value) => value is { } v ? v.ToString("0.#") : "-";
}
