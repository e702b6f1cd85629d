using System.Text.Json;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Training;

namespace WebLab.Web.Components.Pages;

/// <summary>The page's state and actions; the markup is in Checkpoints.razor.</summary>
public sealed partial class Checkpoints
{
    private sealed class PretrainForm
    {
        public string Dataset = Demo.Dataset;
        public string? Classes = "0,1,2,3,4";
        public string Architecture = "resnet8";
        public int Epochs = 8;
        public int? PerClass;
        public string? Name;
    }

    private List<(CheckpointRecord Record, CheckpointInfo Info)> _rows = [];
    private List<(string Id, string Label)> _datasets = [];
    private readonly CheckpointImportFields _import = new() { Architecture = "resnet18", InputSize = 224 };
    private readonly PretrainForm _pretrain = new();
    private Dictionary<string, string[]> _importErrors = [], _pretrainErrors = [];
    private bool _importing, _submitting;
    private double _importPercent;
    private readonly string _formKey = Guid.NewGuid().ToString("N"); // a double click starts one pretraining

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        _datasets = DatasetCatalog.BuiltIn.Entries.Where(e => e.Readable && DatasetFiles.IsAvailable(e)).Select(e => (e.Id, $"{e.Name} (catalogue)")).ToList();
        foreach (var d in (await Reads.DatasetsAsync(Current.Required)).Where(d => d.State == DatasetStore.Ready))
            _datasets.Add((d.Id, $"{d.Name} (uploaded by {d.Owner})"));
        // A finished pretraining, import or experiment adds a checkpoint: the table follows without a reload.
        Watch(m => m is JobStateMessage { Kind: PretrainKind.Id or ImportKind.Id or ExperimentKind.Id }, LoadAsync);
    }

    private async Task LoadAsync() =>
        _rows = (await Reads.CheckpointsAsync(Current.Required)).Select(c => (c, JsonSerializer.Deserialize<CheckpointInfo>(c.InfoJson, WebLabJson.Compact)!)).ToList();

    private async Task ImportAsync(IBrowserFile? file)
    {
        if (file is null)
            return;
        _importErrors = _import.Validate();
        if (_importErrors.Count > 0)
            return;
        var limit = Options.Value.MaxCheckpointBytes;
        if (file.Size > limit)
        {
            _importErrors = new() { ["file"] = [$"{file.Name} is {file.Size / (1024 * 1024)} MiB; the limit is {limit / (1024 * 1024)} MiB."] };
            return;
        }
        _importing = true;
        _importPercent = 0;
        try
        {
            await using var stream = file.OpenReadStream(limit);
            long done = 0;
            await using var counting = new ProgressStream(stream, read =>
            {
                done += read;
                _importPercent = 100.0 * done / Math.Max(1, file.Size);
                _ = InvokeAsync(StateHasChanged);
            });
            var job = await Commands.ImportCheckpointAsync(counting, file.Name, _import, Current.Required, file.Size);
            Navigation.NavigateTo($"/jobs/{job.Id}");
        }
        catch (SpecValidationException e)
        {
            _importErrors = e.Errors.ToDictionary(k => k.Key, k => k.Value);
        }
        catch (Exception e) when (e is BadInputException or RefusedException)
        {
            _importErrors = new() { ["file"] = [e.Message + " Nothing was kept."] };
        }
        catch (IOException e)
        {
            _importErrors = new() { ["file"] = [$"The upload did not complete ({e.GetType().Name}). Nothing was kept; try again."] };
        }
        finally
        {
            _importing = false;
        }
    }

    private async Task PretrainAsync()
    {
        _submitting = true;
        _pretrainErrors = [];
        try
        {
            var classes = string.IsNullOrWhiteSpace(_pretrain.Classes) ? null
                : _pretrain.Classes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var name = string.IsNullOrWhiteSpace(_pretrain.Name)
                ? $"{_pretrain.Architecture} on {_pretrain.Dataset}{(classes is null ? "" : " " + string.Join(",", classes))}"
                : _pretrain.Name.Trim();
            var spec = new PretrainSpec(_pretrain.Dataset, classes, _pretrain.Architecture, "", _pretrain.Epochs, PerClass: _pretrain.PerClass, Name: name);
            var (job, _) = await Commands.SubmitAsync(JobKinds.Of<PretrainKind>(), spec, Current.Required, $"Pretrain {name}",
                idempotencyKey: "pretrain-form:" + _formKey);
            Navigation.NavigateTo($"/jobs/{job.Id}");
        }
        catch (SpecValidationException e)
        {
            _pretrainErrors = e.Errors.ToDictionary(k => k.Key, k => k.Value);
        }
        catch (Exception e) when (e is BadInputException or RefusedException)
        {
            _pretrainErrors = new() { ["spec"] = [e.Message] };
        }
        finally
        {
            _submitting = false;
        }
    }
}
