using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Transfer;
using WebLab.Web.Components.Shared;

namespace WebLab.Web.Components.Pages;

/// <summary>The page's state and actions; the markup is in JobPage.razor.</summary>
public sealed partial class JobPage
{
    [Parameter] public string Id { get; set; } = "";

    private JobLive _live = null!;
    private bool _loaded;
    private int? _position;
    private IReadOnlyList<JobTransition> _history = [];
    private double? _epochs;
    private Func<string, bool> _rendered = _ => false;

    protected override async Task OnParametersSetAsync()
    {
        if (_live is not null)
            await _live.DisposeAsync();
        _live = new JobLive(Store, Reads, Events, Current.Required);
        await _live.StartAsync(Id, () => InvokeAsync(async () =>
        {
            await RefreshExtrasAsync();
            StateHasChanged();
        }));
        await RefreshExtrasAsync();
        _epochs = EpochBudget(_live.Job);
        if (_live.Job?.Kind == AnalyseKind.Id)
            _trackRecord = await TrackRecord.ComputeAsync(Store, Current.Required);
        if (WebLab.Lab.Storage.Ids.IsValid(Id, "job"))
        {
            var images = Folder.JobItemImages(Id);
            _rendered = file => File.Exists(Path.Combine(images, file));
        }
        _loaded = true;
    }

    private async Task RefreshExtrasAsync()
    {
        _history = await Store.HistoryAsync(Id);
        _position = _live.Job is { State: JobState.Queued } job
            ? (await Store.QueuePositionsAsync(job.Lane)).GetValueOrDefault(Id) : null;
    }

    private static readonly string[] Colors = ["#1e88e5", "#e53935"];

    private List<LineChart.ChartSeries> Series(string key, double scale)
    {
        var list = new List<LineChart.ChartSeries>();
        foreach (var ((arm, seed), curve) in _live.Curves.OrderBy(c => c.Key.Arm == "scratch").ThenBy(c => c.Key.Seed))
        {
            var points = curve.Where(p => p.Value.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number)
                .Select(p => ((double)p.Key, p.Value.GetProperty(key).GetDouble() * scale)).ToList();
            list.Add(new LineChart.ChartSeries($"{arm}, seed {seed}", arm == "scratch" ? Colors[1] : Colors[0], points, Dashed: arm == "scratch"));
        }
        return list;
    }

    /// <summary>Mean over seeds of val-accuracy(scratch) − val-accuracy(transfer), in points, at epochs both arms reached.</summary>
    private List<(double X, double Y)> NtgOverEpochs()
    {
        var seeds = _live.Curves.Keys.Select(k => k.Seed).Distinct();
        var gaps = new SortedDictionary<int, List<double>>();
        foreach (var seed in seeds)
        {
            if (!_live.Curves.TryGetValue(("transfer", seed), out var t) || !_live.Curves.TryGetValue(("scratch", seed), out var s))
                continue;
            foreach (var (epoch, tv) in t)
            {
                if (s.TryGetValue(epoch, out var sv) && tv.TryGetProperty("valAccuracy", out var ta) && sv.TryGetProperty("valAccuracy", out var sa)
                    && ta.ValueKind == JsonValueKind.Number && sa.ValueKind == JsonValueKind.Number)
                {
                    if (!gaps.TryGetValue(epoch, out var list))
                        gaps[epoch] = list = [];
                    list.Add((sa.GetDouble() - ta.GetDouble()) * 100);
                }
            }
        }
        return gaps.Select(g => ((double)g.Key, g.Value.Average())).ToList();
    }

    /// <summary>The x axis spans the whole budget from the start, so curves grow into a fixed frame.</summary>
    private static double? EpochBudget(JobRecord? job)
    {
        if (job?.Kind != ExperimentKind.Id)
            return null;
        try
        {
            var spec = JsonSerializer.Deserialize<WebLab.Training.ExperimentSpec>(job.SpecJson, WebLabJson.Compact)!;
            return spec.Dials.Steps is null ? Math.Max(spec.Dials.Epochs, spec.ScratchArm.Epochs ?? 0) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // The buttons only show on your own jobs; the commands check again (a name can change while the page is open) and
    // a job that finished in the meantime is a conflict the live state already shows.
    private Task Cancel() => Refusals.IgnoreAsync(() => Commands.CancelAsync(Id, Current.Required));

    private Task StopEarly() => Refusals.IgnoreAsync(() => Commands.StopAsync(Id, Current.Required));


    private static string Eta(double? seconds) => seconds is { } s ? TimeSpan.FromSeconds(Math.Round(s)).ToString(s >= 3600 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "-";

    private static Color StateColor(JobState state) => state switch
    {
        JobState.Succeeded => Color.Success,
        JobState.Failed => Color.Error,
        JobState.Running => Color.Info,
        JobState.Cancelled => Color.Dark,
        JobState.TimedOut => Color.Warning,
        _ => Color.Default,
    };

    public async ValueTask DisposeAsync()
    {
        if (_live is not null)
            await _live.DisposeAsync();
    }

    private static AnalysisReport ReadAnalysis(string json) => JsonSerializer.Deserialize<AnalysisReport>(json, WebLabJson.Options)!;

    private IReadOnlyList<MeasureTrackRecord>? _trackRecord;
}
