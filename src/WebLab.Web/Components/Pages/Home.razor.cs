using WebLab.Lab.Access;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Workers;

namespace WebLab.Web.Components.Pages;

/// <summary>The page's state and actions; the markup is in Home.razor.</summary>
public sealed partial class Home
{
    private IReadOnlyList<DemoOffer> _demos = [];
    private JobProgress? _sourceJob;
    private string? _sourceJobId;
    private int _running, _queued;
    private bool _starting;
    private readonly Dictionary<string, string> _demoErrors = [];
    private List<(JobRecord Job, string Ntg)> _recent = [];

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        Watch(m => m is JobStateMessage or QueueChangedMessage || m is JobEventMessage { Progress: not null } e && e.JobId == _sourceJobId, LoadAsync);
    }

    private async Task LoadAsync()
    {
        _demos = await Demos.ListAsync();
        if (_demos.Any(d => d.Id == LabDemos.FashionMnist && d.Unavailable is not null))
        {
            var running = await Store.ListAsync(JobState.Running, PretrainKind.Id, AccessPolicy.LabOwner);
            var pending = running.Count > 0 ? running[0] : null;
            _sourceJobId = pending?.Id;
            _sourceJob = pending?.ReadProgress();
        }
        _running = await Store.CountAsync(JobState.Running);
        _queued = await Store.CountAsync(JobState.Queued);
        _recent = (await Reads.JobsAsync(Current.Required, kind: ExperimentKind.Id, limit: 10)).Select(j => (j, NtgOf(j))).ToList();
    }

    private static string NtgOf(JobRecord job)
    {
        if (job.ResultJson is null)
            return "-";
        return JobKinds.Of<ExperimentKind>().ReadResult(job)?.Ntg is { } ntg ? $"{Format.Points(ntg.Mean)} ({ntg.Range(Format.Points)})" : "-";
    }

    private async Task RunDemo(string id)
    {
        _starting = true;
        _demoErrors.Remove(id);
        try
        {
            var (job, _) = await Demos.SubmitAsync(id, Current.Required);
            Navigation.NavigateTo($"/jobs/{job.Id}");
        }
        catch (Exception e) when (e is BadInputException or RefusedException)
        {
            _demoErrors[id] = e is SpecValidationException invalid ? string.Join(" ", invalid.Errors.SelectMany(kv => kv.Value)) : e.Message;
            _starting = false;
        }
    }
}
