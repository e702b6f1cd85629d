using System.Text.Json;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Workers;
using WebLab.Training;

namespace WebLab.Web.Components;

/// <summary>
/// A job as a page sees it, rebuilt from the database and kept current from the lab's live stream: subscribe first,
/// then load the stored state, then apply only live events newer than what was loaded (no gap, no duplicate). A
/// refresh or reconnect rebuilds it the same way. Re-renders are throttled so streaming numbers don't flood the circuit.
/// </summary>
public sealed class JobLive(JobStore store, LabReads reads, LabEvents events, Caller viewer) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task? _pump;

    public JobRecord? Job { get; private set; }

    public JobProgress? Progress { get; private set; }

    public ExperimentResult? Result { get; private set; }

    public string? ResultJson { get; private set; }

    /// <summary>
    /// A sweep's results: the final result once it has one, before that the points finished so far (each worker
    /// "point-finished" event carries its experiment's result), so the table and curves fill in live.
    /// </summary>
    public SweepResult? Sweep { get; private set; }

    /// <summary>How many points the sweep's grid has (0 for other jobs).</summary>
    public int SweepSize { get; private set; }

    private readonly List<SweepPoint> _sweepPoints = [];

    /// <summary>(arm, seed) -> epoch -> values, from epoch-end metrics.</summary>
    public Dictionary<(string Arm, int Seed), SortedDictionary<int, JsonElement>> Curves { get; } = [];

    public List<string> Log { get; } = [];

    public long LastSeq { get; private set; }

    public async Task StartAsync(string jobId, Func<Task> changed)
    {
        var stream = events.SubscribeAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
        var first = stream.MoveNextAsync(); // subscribed from here on
        await ReloadAsync(jobId);
        _pump = PumpAsync(jobId, stream, first, changed);
    }

    private async Task ReloadAsync(string jobId)
    {
        var job = await reads.FindJobAsync(jobId, viewer); // someone else's private job is "not found" here too
        var curves = job is null ? [] : await store.CurvesAsync(jobId);
        var logged = job is null ? [] : await store.EventsAsync(jobId);
        lock (_gate)
        {
            Job = job;
            Curves.Clear();
            foreach (var curve in curves)
                AddCurve(curve);
            Log.Clear();
            foreach (var e in logged)
            {
                if (Describe(e.Type, JsonDocument.Parse(e.PayloadJson).RootElement) is { } line)
                    Log.Add(line);
            }
            _sweepPoints.Clear();
            foreach (var e in logged.Where(e => e.Type == SweepPointFinished))
                AddSweepPoint(JsonDocument.Parse(e.PayloadJson).RootElement);
            LastSeq = logged.Count == 0 ? 0 : logged[^1].Seq;
            Progress = job?.ReadProgress();
            SetResult(job?.ResultJson);
        }
    }

    /// <summary>Single experiments chart their curves; a sweep shows its points' results instead.</summary>
    private void AddCurve(CurvePoint point)
    {
        if (point.Point != 0)
            return;
        if (!Curves.TryGetValue((point.Arm, point.Seed), out var curve))
            Curves[(point.Arm, point.Seed)] = curve = [];
        curve[point.Epoch] = point.Values;
    }

    private void SetResult(string? json)
    {
        ResultJson = json;
        Result = json is not null && Job?.Kind == ExperimentKind.Id ? JsonSerializer.Deserialize<ExperimentResult>(json, WebLabJson.Compact) : null;
        SetSweep();
    }

    private const string SweepPointFinished = JobEventTypes.PointPrefix + JobEventTypes.Finished;

    private void AddSweepPoint(JsonElement payload)
    {
        if (!payload.TryGetProperty("settings", out var settings) || !payload.TryGetProperty("event", out var finished)
            || !finished.TryGetProperty("result", out var result))
            return;
        _sweepPoints.Add(new SweepPoint(settings.Deserialize<Dictionary<string, string>>(WebLabJson.Compact)!,
            result.Deserialize<ExperimentResult>(WebLabJson.Compact)!));
    }

    private void SetSweep()
    {
        Sweep = null;
        SweepSize = 0;
        if (Job is not { Kind: SweepKind.Id } job)
            return;
        var spec = JsonSerializer.Deserialize<SweepSpec>(job.SpecJson, WebLabJson.Compact)!;
        SweepSize = spec.Axes.Aggregate(1, (n, a) => n * a.Values.Count);
        Sweep = ResultJson is not null
            ? JsonSerializer.Deserialize<SweepResult>(ResultJson, WebLabJson.Compact)
            : _sweepPoints.Count > 0 ? new SweepResult(spec.Name ?? spec.Base.Name ?? "sweep", spec.Axes, [.. _sweepPoints], 0, false) : null;
    }

    private async Task PumpAsync(string jobId, IAsyncEnumerator<LabMessage> stream, ValueTask<bool> first, Func<Task> changed)
    {
        long? lastRender = null;
        try
        {
            var next = first;
            while (await next)
            {
                var render = false;
                switch (stream.Current)
                {
                    case JobEventMessage e when e.JobId == jobId:
                        if (e.Seq != LastSeq + 1 && e.Seq > LastSeq)
                        {
                            await ReloadAsync(jobId); // a gap (we were too slow): rebuild from the database
                            render = true;
                        }
                        else if (e.Seq == LastSeq + 1)
                        {
                            lock (_gate)
                                Apply(e);
                            render = true;
                        }
                        break;
                    case JobStateMessage s when s.JobId == jobId:
                        await ReloadAsync(jobId);
                        render = true;
                        lastRender = null; // state changes show at once
                        break;
                }
                if (render && (lastRender is not { } last || store.Time.GetElapsedTime(last) > TimeSpan.FromMilliseconds(250)))
                {
                    lastRender = store.Time.GetTimestamp();
                    await changed();
                }
                next = stream.MoveNextAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    private void Apply(JobEventMessage e)
    {
        LastSeq = e.Seq;
        if (e.Progress is { } progress)
            Progress = progress;
        if (e.Curve is { } curve)
            AddCurve(curve);
        if (Describe(e.Type, e.Payload) is { } line)
            Log.Add(line);
        if (e.Type == SweepPointFinished && ResultJson is null)
        {
            AddSweepPoint(e.Payload);
            SetSweep();
        }
    }

    /// <summary>The log line an event stands for, or null for events the log does not show (progress, results).</summary>
    private static string? Describe(string type, JsonElement payload) => type switch
    {
        JobEventTypes.Log => payload.Deserialize<LogLine>(WebLabJson.Compact)!.Message,
        JobEventTypes.Started => payload.Deserialize<ExperimentStarted>(WebLabJson.Compact) is { } s ? $"started on {s.Device}: {s.Runs} runs" + (s.InputSize is { } size ? $", {size.Reason}" : "") : null,
        JobEventTypes.Preset => payload.Deserialize<PresetChosen>(WebLabJson.Compact) is { } p ? $"preset {p.Preset}" : null,
        JobEventTypes.Probe => payload.Deserialize<ProbeFinished>(WebLabJson.Compact) is { } p ? $"frozen-feature probe: test accuracy {p.Probe.TestAccuracy:P1}" : null,
        JobEventTypes.Run => payload.Deserialize<RunFinished>(WebLabJson.Compact) is { } r
            ? $"{r.Arm} seed {r.Seed}: test accuracy {r.TestAccuracy:P1}" + (r.Reused ? $" (reused: an identical run took {r.Seconds:F0} s)" : "")
            : null,
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_pump is not null)
            await _pump;
        _stop.Dispose();
    }
}
