using System.Text.Json;
using WebLab.Training;

namespace WebLab.Lab.Workers;

/// <summary>
/// Writes protocol lines (one JSON object per line, whole lines only) and a keep-alive every few seconds. Every message
/// but the keep-alive comes from the job's work and advances the progress counter the keep-alive carries.
/// </summary>
public sealed class WorkerOutput : IDisposable
{
    private readonly TextWriter _out;
    private readonly Lock _gate = new();
    private readonly Timer _alive;
    private long _progress;

    public WorkerOutput(TextWriter output, TimeSpan? keepAlive = null)
    {
        _out = output;
        var every = keepAlive ?? TimeSpan.FromSeconds(5);
        _alive = new Timer(_ => Write(null), null, every, every);
    }

    /// <summary>Sends a message of the job's work (an event, the result, a failure): progress.</summary>
    public void Send(WorkerMessage message) => Write(message);

    /// <summary>Writes <paramref name="message"/> (counted as progress), or a keep-alive (null) with the count so far.</summary>
    private void Write(WorkerMessage? message)
    {
        lock (_gate)
        {
            if (message is not null)
                _progress++;
            _out.WriteLine(JsonSerializer.Serialize(message ?? new WorkerAlive(Progress: _progress), WebLabJson.Compact));
            _out.Flush();
        }
    }

    public void Event<T>(string type, T payload, JobProgress? progress = null, CurvePoint? curve = null) =>
        Send(new WorkerEvent(type, JsonSerializer.SerializeToElement(payload, WebLabJson.Compact), progress, curve));

    /// <summary>A line for the job's log.</summary>
    public void Log(string message, string level = "info") => Event(JobEventTypes.Log, new LogLine(level, message));

    /// <summary>A training record of a pretraining job.</summary>
    public void Training(TrainingProgress p) =>
        Event(JobEventTypes.Progress, p, new JobProgress(p.Fraction, p.EtaSeconds, p.ImagesPerSecond, $"epoch {p.Epoch}/{p.Epochs}"), CurvePoint.Of(p, 0));

    /// <summary>An experiment's event; every one is sent (<see cref="JobEventTypes"/>).</summary>
    public void Experiment(ExperimentEvent e) => Event(JobEventTypes.Of(e), (object)e, ProgressOf(e, 0, 1), CurveOf(e, 0));

    /// <summary>An experiment event of one sweep point, with the point and its settings.</summary>
    public void SweepPoint(SweepProgress p) =>
        Event(JobEventTypes.OfPoint(p.Event), new PointEvent(p.Point, p.Points, p.Settings,
            JsonSerializer.SerializeToElement((object)p.Event, WebLabJson.Compact)), ProgressOf(p.Event, p.Point, p.Points), CurveOf(p.Event, p.Point));

    private static JobProgress? ProgressOf(ExperimentEvent e, int point, int points)
    {
        if (e is not TrainingUpdate update)
            return null;
        var p = update.Progress;
        var prefix = points > 1 ? $"point {point + 1}/{points}: " : "";
        return new JobProgress((point + update.OverallFraction) / points, update.OverallEtaSeconds, p.ImagesPerSecond,
            $"{prefix}{p.Arm}, seed {p.Seed}, epoch {p.Epoch}/{p.Epochs}");
    }

    private static CurvePoint? CurveOf(ExperimentEvent e, int point) => e is TrainingUpdate update ? CurvePoint.Of(update.Progress, point) : null;

    public void Dispose() => _alive.Dispose();
}
