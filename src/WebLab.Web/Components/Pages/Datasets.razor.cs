using System.Text.Json;
using Microsoft.AspNetCore.Components.Forms;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Web.Components.Pages;

/// <summary>The page's state and actions; the markup is in Datasets.razor.</summary>
public sealed partial class Datasets
{
    private static string Availability(WebLab.Data.CatalogEntry e) =>
        !e.Readable ? "manual download" : WebLab.Data.DatasetFiles.IsAvailable(e) ? "yes" : e.Obtain.Files.Any(f => f.Sha256 is not null) ? "downloads on first use" : "manual download";

    private string? _name;
    private bool _uploading;
    private double _uploadPercent;
    private string? _error;
    private List<(DatasetRecord Dataset, WebLab.Data.DatasetManifest? Manifest)> _rows = [];

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        Watch(m => m is JobStateMessage { Kind: IngestKind.Id }, LoadAsync);
    }

    private async Task LoadAsync() =>
        _rows = (await Store.ListAsync()).Select(d => (d, d.ManifestJson is null ? null
            : JsonSerializer.Deserialize<WebLab.Data.DatasetManifest>(d.ManifestJson, WebLabJson.Compact))).ToList();

    private async Task UploadAsync(IReadOnlyList<IBrowserFile>? files)
    {
        if (files is null || files.Count == 0)
            return;
        _error = null;
        _uploading = true;
        _uploadPercent = 0;
        var limit = Options.Value.MaxUploadBytes;
        var total = files.Sum(f => f.Size);
        var (id, staging) = WebLab.Web.Api.DatasetsApi.NewStaging(Folder);
        try
        {
            if (total > limit)
                throw new UploadTooLargeException(limit);
            var staged = new List<(string Path, string Name)>();
            long done = 0;
            foreach (var file in files)
            {
                var target = Path.Combine(staging, $"upload-{staged.Count}");
                await using var stream = file.OpenReadStream(limit);
                await using var counting = new ProgressStream(stream, read =>
                {
                    done += read;
                    _uploadPercent = 100.0 * done / Math.Max(1, total);
                    _ = InvokeAsync(StateHasChanged);
                });
                await Folder.WriteAtomicAsync(counting, target, limit, CancellationToken.None);
                staged.Add((target, file.Name));
            }
            var accepted = await WebLab.Web.Api.DatasetsApi.AcceptStagedAsync(id, staging, staged, _name, Current.Name, Folder, Store, Commands);
            Navigation.NavigateTo($"/datasets/{accepted.Dataset.Id}");
        }
        catch (BadInputException e)
        {
            _error = e.Message + " Nothing was kept; fix the file and upload it again.";
        }
        catch (IOException e)
        {
            _error = $"The upload did not complete ({e.Message}). Nothing was kept; try again.";
        }
        finally
        {
            _uploading = false;
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }
}
