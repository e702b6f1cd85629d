using System.Text.Json;
using WebLab.Training;

namespace WebLab.Lab.Workers;

/// <summary>Writes protocol lines (one JSON object per line, whole lines only) and a keep-alive every few seconds.</summary>
public sealed class WorkerOutput : IDisposable
{
    private readonly TextWriter _out;
    private readonly Lock _gate = new();
    private readonly Timer _alive;

    public WorkerOutput(TextWriter output, TimeSpan? keepAlive = null)
    {
        _out = output;
        var every = keepAlive ?? TimeSpan.FromSeconds(5);
        _alive = new Timer(_ => Send(new WorkerAlive()), null, every, every);
    }

    public void Send(WorkerMessage message)
    {
        var line = JsonSerializer.Serialize(message, WebLabJson.Compact);
        lock (_gate)
        {
            _out.WriteLine(line);
            _out.Flush();
        }
    }

    public void Event<T>(string type, T payload, JobProgress? progress = null, WorkerMetric? metric = null) =>
        Send(new WorkerEvent(type, JsonSerializer.SerializeToElement(payload, WebLabJson.Compact), progress, metric));

    /// <summary>A line for the job's log.</summary>
    public void Log(string message, string level = "info") => Event("log", new { level, message });

    /// <summary>An experiment's event (of sweep point <paramref name="point"/> of <paramref name="points"/>).</summary>
    public void Experiment(ExperimentEvent e, int point, int points, IReadOnlyDictionary<string, string>? settings)
    {
        string? type = e switch
        {
            ExperimentStarted => "started",
            ProbeFinished => "probe",
            TrainingUpdate => "progress",
            RunFinished => "run",
            _ => null, // the finished experiment travels as the result (or as the sweep's next point)
        };
        if (type is null && settings is null)
            return;
        object payload = settings is null ? e : new { point, points, settings, @event = (object)e };
        JobProgress? progress = null;
        WorkerMetric? metric = null;
        if (e is TrainingUpdate update)
        {
            var p = update.Progress;
            var prefix = points > 1 ? $"point {point + 1}/{points}: " : "";
            progress = new JobProgress((point + update.OverallFraction) / points, update.OverallEtaSeconds, p.ImagesPerSecond,
                $"{prefix}{p.Arm}, seed {p.Seed}, epoch {p.Epoch}/{p.Epochs}");
            metric = MetricOf(p, point);
        }
        Event(settings is null ? type! : "point-" + (type ?? "finished"), payload, progress, metric);
    }

    /// <summary>The epoch-end values of a training record, or null mid-epoch.</summary>
    public static WorkerMetric? MetricOf(TrainingProgress p, int point) => p.EpochEnd
        ? new WorkerMetric(point, p.Arm, p.Seed, p.Epoch, JsonSerializer.SerializeToElement(new
        {
            trainLoss = p.TrainLoss,
            lossParts = p.LossParts,
            trainAccuracy = p.TrainAccuracy,
            valAccuracy = p.ValAccuracy,
            learningRate = p.LearningRate,
            imagesPerSecond = p.ImagesPerSecond,
            elapsedSeconds = p.ElapsedSeconds,
        }, WebLabJson.Compact))
        : null;

    public void Dispose() => _alive.Dispose();
}
