using System.Text.Json;
using Microsoft.AspNetCore.Components.Forms;
using WebLab.Lab.Access;
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
    private bool _private;
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
        _rows = (await Reads.DatasetsAsync(Current.Required)).Select(d => (d, d.ManifestJson is null ? null
            : JsonSerializer.Deserialize<WebLab.Data.DatasetManifest>(d.ManifestJson, WebLabJson.Compact))).ToList();

    private async Task UploadAsync(IReadOnlyList<IBrowserFile>? files)
    {
        if (files is null || files.Count == 0)
            return;
        _error = null;
        _uploading = true;
        _uploadPercent = 0;
        var total = files.Sum(f => f.Size);
        DatasetUpload? upload = null;
        try
        {
            upload = await Commands.BeginDatasetUploadAsync(Current.Required, total);
            if (total > upload.Limit)
                throw new UploadTooLargeException(upload.Limit);
            long done = 0;
            foreach (var file in files)
            {
                await using var stream = file.OpenReadStream(upload.Limit);
                await using var counting = new ProgressStream(stream, read =>
                {
                    done += read;
                    _uploadPercent = 100.0 * done / Math.Max(1, total);
                    _ = InvokeAsync(StateHasChanged);
                });
                await upload.AddAsync(counting, file.Name, CancellationToken.None);
            }
            var (dataset, _) = await Commands.AcceptDatasetAsync(upload, _name, Current.Required, _private ? Visibility.Private : Visibility.Group);
            Navigation.NavigateTo($"/datasets/{dataset.Id}");
        }
        catch (Exception e) when (e is BadInputException or RefusedException)
        {
            _error = e.Message + " Nothing was kept.";
        }
        catch (IOException e)
        {
            _error = $"The upload did not complete ({e.GetType().Name}). Nothing was kept; try again.";
        }
        finally
        {
            upload?.Dispose();
            _uploading = false;
        }
    }
}
