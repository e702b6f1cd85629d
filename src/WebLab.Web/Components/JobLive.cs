using System.Text.Json;
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
public sealed class JobLive(JobStore store, LabEvents events) : IAsyncDisposable
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
        var job = await store.GetAsync(jobId);
        var metrics = await store.MetricsAsync(jobId);
        var logged = await store.EventsAsync(jobId);
        lock (_gate)
        {
            Job = job;
            Curves.Clear();
            foreach (var m in metrics.Where(m => m.Point == 0))
                Point(m.Arm, m.Seed)[m.Epoch] = JsonDocument.Parse(m.ValuesJson).RootElement.Clone();
            Log.Clear();
            foreach (var e in logged.Where(e => e.Type is "log" or "started" or "run" or "probe"))
                Log.Add(Describe(e.Type, JsonDocument.Parse(e.PayloadJson).RootElement));
            _sweepPoints.Clear();
            foreach (var e in logged.Where(e => e.Type == SweepPointFinished))
                AddSweepPoint(JsonDocument.Parse(e.PayloadJson).RootElement);
            LastSeq = logged.Count == 0 ? 0 : logged[^1].Seq;
            Progress = job?.ReadProgress();
            SetResult(job?.ResultJson);
        }
    }

    private SortedDictionary<int, JsonElement> Point(string arm, int seed)
    {
        if (!Curves.TryGetValue((arm, seed), out var curve))
            Curves[(arm, seed)] = curve = [];
        return curve;
    }

    private void SetResult(string? json)
    {
        ResultJson = json;
        Result = json is not null && Job?.Kind == ExperimentKind.Id ? JsonSerializer.Deserialize<ExperimentResult>(json, WebLabJson.Compact) : null;
        SetSweep();
    }

    private const string SweepPointFinished = "point-finished";

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
        var lastRender = DateTime.MinValue;
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
                        lastRender = DateTime.MinValue; // state changes show at once
                        break;
                }
                if (render && DateTime.UtcNow - lastRender > TimeSpan.FromMilliseconds(250))
                {
                    lastRender = DateTime.UtcNow;
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
        var p = e.Payload.TryGetProperty("progress", out var inner) ? inner : e.Payload; // experiments wrap the training record
        if (e.Type == "progress" && p.TryGetProperty("epochEnd", out var end) && end.GetBoolean())
        {
            var values = JsonSerializer.SerializeToElement(new
            {
                trainLoss = p.GetProperty("trainLoss").GetDouble(),
                valAccuracy = p.TryGetProperty("valAccuracy", out var v) ? v.GetDouble() : (double?)null,
            });
            Point(p.GetProperty("arm").GetString()!, p.GetProperty("seed").GetInt32())[p.GetProperty("epoch").GetInt32()] = values;
        }
        else if (e.Type is "log" or "started" or "run" or "probe")
        {
            Log.Add(Describe(e.Type, e.Payload));
        }
        else if (e.Type == SweepPointFinished && ResultJson is null)
        {
            AddSweepPoint(e.Payload);
            SetSweep();
        }
    }

    private static string Describe(string type, JsonElement payload) => type switch
    {
        "log" => payload.GetProperty("message").GetString() ?? "",
        "started" => $"started on {payload.GetProperty("device").GetString()}: {payload.GetProperty("runs").GetInt32()} runs",
        "probe" => $"frozen-feature probe: test accuracy {payload.GetProperty("probe").GetProperty("testAccuracy").GetDouble():P1}",
        "run" => $"{payload.GetProperty("arm").GetString()} seed {payload.GetProperty("seed").GetInt32()}: test accuracy {payload.GetProperty("testAccuracy").GetDouble():P1}",
        _ => type,
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_pump is not null)
            await _pump;
        _stop.Dispose();
    }
}
