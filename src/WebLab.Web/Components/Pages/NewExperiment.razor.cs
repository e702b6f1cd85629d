using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using WebLab.Data;
using WebLab.Lab.Access;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Web.Components.Pages;

/// <summary>The page's state and actions; the markup is in NewExperiment.razor.</summary>
public sealed partial class NewExperiment
{
    [SupplyParameterFromQuery(Name = "source")] public string? SourceQuery { get; set; }

    /// <summary>"Clone and edit": an experiment or sweep job whose settings prefill every step.</summary>
    [SupplyParameterFromQuery(Name = "clone")] public string? CloneQuery { get; set; }

    /// <summary>The dials as the form edits them (nullable where the engine allows "unset").</summary>
    private sealed class DialForm
    {
        public int? Steps, Blocks, L2SPBlocks, InputSize;
        public int Epochs = 30, BatchSize = 32, Frozen;
        public double HeadLr = 0.05, LayerDecay = 1, Momentum = 0.9, DecaySpeed = 1, LrFloor, L2 = 5e-4, L2SPAlpha, BssEta, Mixup;
        public double? HeadL2;
        public ScheduleKind Schedule = ScheduleKind.Cosine;
        public InputSizeRule InputSizeRule;
        public CropAugment? Crop;
        public bool HeadFirst, Augment = true, LinearProbe, ZeroHead;
        public TransferDials Base = new();

        public static DialForm From(TransferDials d) => new()
        {
            Steps = d.Steps, Blocks = d.BlocksTransferred, L2SPBlocks = d.L2SPBlocks, Epochs = d.Epochs, BatchSize = d.BatchSize, Frozen = d.FrozenBlocks,
            HeadLr = d.HeadLearningRate, LayerDecay = d.LayerDecay, Momentum = d.Momentum, DecaySpeed = d.DecaySpeed, LrFloor = d.LearningRateFloor, L2 = d.L2,
            HeadL2 = d.HeadL2, L2SPAlpha = d.L2SPAlpha, BssEta = d.BssEta, Mixup = d.MixupAlpha, Schedule = d.Schedule, HeadFirst = d.HeadFirst,
            Augment = d.Augment, LinearProbe = d.LinearProbe, ZeroHead = d.ZeroHead, InputSize = d.InputSize, InputSizeRule = d.InputSizeRule, Crop = d.Crop, Base = d,
        };

        public TransferDials ToDials() => Base with
        {
            Steps = Steps, BlocksTransferred = Blocks, L2SPBlocks = L2SPBlocks, Epochs = Epochs, BatchSize = BatchSize, FrozenBlocks = Frozen,
            HeadLearningRate = HeadLr, LayerDecay = LayerDecay, Momentum = Momentum, DecaySpeed = DecaySpeed, LearningRateFloor = LrFloor, L2 = L2,
            HeadL2 = HeadL2, L2SPAlpha = L2SPAlpha, BssEta = BssEta, MixupAlpha = Mixup, Schedule = Schedule, HeadFirst = HeadFirst, Augment = Augment,
            LinearProbe = LinearProbe, ZeroHead = ZeroHead, InputSize = InputSize, InputSizeRule = InputSizeRule, Crop = Crop,
        };
    }

    private List<(string Id, string Label, int? TrainSize, (int, int)? ImageSize)> _targets = [];
    private List<CheckpointRecord> _checkpoints = [];
    private int _step;
    private string _target = Demo.Dataset;
    private string? _classes = string.Join(",", Demo.TargetClasses);
    private int? _perClass = Demo.PerClass;
    private string? _source;
    private int _seeds = 3;
    private double? _scratchLr;
    private string? _sweepSizes, _gridSetting, _gridValues;
    private string _preset = ExperimentSpec.AutoPreset;
    private DialForm _d = new();
    private AnalysisReport? _analysis;
    private IReadOnlyList<MeasureTrackRecord>? _trackRecord;
    private string? _analysisError;
    private bool _analysing, _submitting, _private;
    private Dictionary<string, string[]> _errors = [];
    private readonly string _formKey = Guid.NewGuid().ToString("N"); // a double click submits one job

    private string TargetSummary => $"{_target}, {(_perClass?.ToString(CultureInfo.InvariantCulture) ?? "all")} per class";

    private string PresetLabel => _preset == ExperimentSpec.AutoPreset && _analysis is { } a ? $"auto: {a.Recommendation.PresetTag}"
        : _preset == CustomPreset ? "custom dials (cloned)" : _preset;

    /// <summary>A clone whose dials were set by hand, not by a preset: no card is selected until one is chosen.</summary>
    private const string CustomPreset = "custom";

    private string CardClass(string id) => "weblab-preset-card" + (id == _preset ? " selected" : "");

    private string[]? ClassList => string.IsNullOrWhiteSpace(_classes) ? null : _classes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    protected override async Task OnInitializedAsync()
    {
        _targets = DatasetCatalog.BuiltIn.Entries.Where(e => e.Readable && DatasetFiles.IsAvailable(e))
            .Select(e => (e.Id, $"{e.Name} (catalogue)", e.TrainSize / Math.Max(1, e.Classes), ((int, int)?)(e.Image.Width, e.Image.Height))).ToList();
        foreach (var d in (await Reads.DatasetsAsync(Current.Required)).Where(d => d.State == DatasetStore.Ready))
        {
            var manifest = d.ManifestJson is null ? null : JsonSerializer.Deserialize<DatasetManifest>(d.ManifestJson, WebLabJson.Options);
            _targets.Add((d.Id, $"{d.Name} (uploaded by {d.Owner})", manifest is { Classes.Count: > 0 } m ? (int)m.Classes.Average(c => c.Train) : null,
                manifest?.OriginalSizes is { } sizes ? (sizes.MedianWidth, sizes.MedianHeight) : null));
        }
        _checkpoints = (await Reads.CheckpointsAsync(Current.Required)).ToList();
        _source = SourceQuery ?? _checkpoints.FirstOrDefault()?.Id;
        Choose(ExperimentSpec.AutoPreset);
        if (CloneQuery is { Length: > 0 })
            await CloneAsync(CloneQuery);
    }

    /// <summary>The size the dials give for the chosen source on this lab's workers, and what it costs (InputSizes.Describe).</summary>
    private string InputSizeHelp => InputSizes.Describe(_d.ToDials(), _checkpoints.FirstOrDefault(c => c.Id == _source) is { } c
            ? JsonSerializer.Deserialize<global::WebLab.Checkpoints.CheckpointInfo>(c.InfoJson, WebLabJson.Options) : null,
        Runner.TrainsOnGpu, _targets.FirstOrDefault(t => t.Id == _target).ImageSize);

    private string? _clonedFrom, _cloneError;

    private async Task CloneAsync(string jobId)
    {
        var job = await Reads.FindJobAsync(jobId, Current.Required);
        if (job is not { Kind: ExperimentKind.Id or SweepKind.Id })
        {
            _cloneError = $"There is no experiment or sweep '{jobId}' to clone; the form starts from the demo's settings.";
            return;
        }
        ExperimentSpec spec;
        if (job.Kind == SweepKind.Id)
        {
            var sweep = JsonSerializer.Deserialize<SweepSpec>(job.SpecJson, WebLabJson.Options)!;
            spec = sweep.Base;
            foreach (var axis in sweep.Axes)
            {
                if (axis.Setting == "perClass")
                    _sweepSizes = string.Join(",", axis.Values);
                else
                    (_gridSetting, _gridValues) = (axis.Setting, string.Join(",", axis.Values));
            }
        }
        else
        {
            spec = JsonSerializer.Deserialize<ExperimentSpec>(job.SpecJson, WebLabJson.Options)!;
        }
        _target = spec.Target;
        _classes = spec.TargetClasses is { Count: > 0 } c ? string.Join(",", c) : null;
        _perClass = spec.PerClass;
        _source = spec.Source;
        if (_source == LabReferences.DemoSource && _checkpoints.Count > 0)
        {
            // "demo" names the built-in source: show it selected (and its input size) as the checkpoint it stands for.
            try
            {
                _source = (await Reads.CheckpointAsync(_source, Current.Required)).Id;
            }
            catch (NotFoundException)
            {
                // not pretrained yet: the alias stays, and submitting says why it cannot run
            }
        }
        _seeds = spec.Seeds;
        _scratchLr = spec.Scratch?.LearningRate;
        // "small-similar@1" or "auto: small-similar@1": the card is the preset's id; explicit dials override it below.
        var preset = spec.Preset?.Split('@')[0];
        _preset = preset is not null && (preset == ExperimentSpec.AutoPreset || Presets.All.Any(p => p.Id == preset)) ? preset
            : preset?.StartsWith("auto:", StringComparison.Ordinal) == true ? ExperimentSpec.AutoPreset
            : spec.Transfer is not null ? CustomPreset : _preset;
        if (_preset != CustomPreset)
            Choose(_preset);
        if (spec.Transfer is { } dials)
            _d = DialForm.From(dials);
        _clonedFrom = job.Name;
    }

    /// <summary>Training images the experiment will use (per class x classes), for the presets' size bands.</summary>
    private int EstimatedExamples()
    {
        var perClassAvailable = _targets.FirstOrDefault(t => t.Id == _target).TrainSize ?? 1000;
        int classes = ClassList?.Length ?? DatasetCatalog.BuiltIn.Find(_target)?.Classes ?? 5;
        return classes * Math.Min(_perClass ?? perClassAvailable, perClassAvailable);
    }

    private void Choose(string id)
    {
        _preset = id;
        if (id == ExperimentSpec.AutoPreset)
            _d = DialForm.From(_analysis?.Recommendation.Dials ?? Presets.Get("small-similar").DialsFor(EstimatedExamples()));
        else
            _d = DialForm.From(Presets.Get(id).DialsFor(_analysis?.Analysis.Size.Examples ?? EstimatedExamples()));
    }

    private async Task AnalyseAsync()
    {
        _analysing = true;
        _analysisError = null;
        try
        {
            var spec = new AnalysisSpec(_target, _source ?? "", ClassList, _perClass);
            var (job, _) = await Commands.SubmitAsync(JobKinds.Of<AnalyseKind>(), spec, Current.Required, $"Analyse {_target} from {_source}");
            StateHasChanged();
            var done = await Events.FinishedAsync(job.Id, Store, TimeSpan.FromMinutes(10));
            if (done is { State: JobState.Succeeded, ResultJson: { } json })
            {
                _analysis = JsonSerializer.Deserialize<AnalysisReport>(json, WebLabJson.Options);
                _trackRecord = await TrackRecord.ComputeAsync(Store, Current.Required);
                Choose(_preset);
            }
            else
            {
                _analysisError = done is null
                    ? $"The analysis is still waiting or running after 10 minutes; follow it on /jobs/{job.Id}."
                    : $"The analysis {done.State.Label()}: {done.Error ?? "no reason recorded"}. Its log is on /jobs/{job.Id}.";
            }
        }
        catch (SpecValidationException e)
        {
            _analysisError = string.Join(" ", e.Errors.Select(kv => $"{kv.Key}: {string.Join(" ", kv.Value)}"));
        }
        catch (Exception e) when (e is BadInputException or RefusedException)
        {
            _analysisError = e.Message;
        }
        finally
        {
            _analysing = false;
        }
    }

    private async Task SubmitAsync()
    {
        _submitting = true;
        _errors = [];
        try
        {
            var dials = _d.ToDials();
            // "auto" without an analysis and with untouched dials: the engine analyses and chooses at run time.
            bool deferred = _preset == ExperimentSpec.AutoPreset && _analysis is null
                            && dials == Presets.Get("small-similar").DialsFor(EstimatedExamples());
            var preset = _preset == CustomPreset ? null
                : _preset != ExperimentSpec.AutoPreset ? Presets.Get(_preset).Tag
                : _analysis is { } a ? $"auto: {a.Recommendation.PresetTag}" : _preset;
            var spec = new ExperimentSpec(_target, _source ?? "", ClassList, _perClass, deferred ? null : dials, new ScratchDials(_scratchLr), _seeds,
                Name: $"{_target} {(_classes ?? "all")}, {(_perClass?.ToString(CultureInfo.InvariantCulture) ?? "all")} per class, {preset ?? "custom dials"}",
                Preset: deferred ? ExperimentSpec.AutoPreset : preset);
            JobKind kind = JobKinds.Of<ExperimentKind>();
            object submitted = spec;
            var axes = new List<SweepAxis>();
            if (!string.IsNullOrWhiteSpace(_sweepSizes))
                axes.Add(new SweepAxis("perClass", _sweepSizes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
            if (!string.IsNullOrWhiteSpace(_gridSetting))
                axes.Add(new SweepAxis(_gridSetting.Trim(), (_gridValues ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
            if (axes.Count > 0)
            {
                kind = JobKinds.Of<SweepKind>();
                submitted = new SweepSpec(spec, axes, $"Sweep: {spec.Name}");
            }
            var (job, _) = await Commands.SubmitAsync(kind, submitted, Current.Required, spec.Name!, idempotencyKey: "form:" + _formKey,
                visibility: _private ? Visibility.Private : Visibility.Group);
            Navigation.NavigateTo($"/jobs/{job.Id}");
        }
        catch (SpecValidationException e)
        {
            _errors = e.Errors.ToDictionary(k => k.Key, k => k.Value);
        }
        catch (Exception e) when (e is BadInputException or RefusedException)
        {
            _errors = new() { ["spec"] = [e.Message] };
        }
        finally
        {
            _submitting = false;
        }
    }
}
