using System.Text.Json;
using WebLab.Training;

namespace WebLab.Lab.Workers;

/// <summary>
/// The one contract for job events, from the worker that writes them to the host that numbers and stores them, the
/// hub that relays them and the pages and F# clients that read them. Every experiment event has a name here; none is
/// dropped on the way.
/// </summary>
public static class JobEventTypes
{
    /// <summary><see cref="ExperimentStarted"/>: target, source, warnings, device.</summary>
    public const string Started = "started";

    /// <summary><see cref="PresetChosen"/>: the preset, its dials and the recommender's reasons.</summary>
    public const string Preset = "preset";

    /// <summary><see cref="ProbeFinished"/>: the frozen-feature probe's result.</summary>
    public const string Probe = "probe";

    /// <summary>A throttled training record (<see cref="TrainingUpdate"/>, or <see cref="TrainingProgress"/> for pretraining).</summary>
    public const string Progress = "progress";

    /// <summary><see cref="RunFinished"/>: one arm and seed's test accuracy.</summary>
    public const string Run = "run";

    /// <summary><see cref="ExperimentFinished"/>: a sweep point's result (a single experiment's result is the job's result).</summary>
    public const string Finished = "finished";

    /// <summary>A <see cref="LogLine"/>.</summary>
    public const string Log = "log";

    /// <summary>Prefix of a sweep point's events ("point-run"); their payload is a <see cref="PointEvent"/>.</summary>
    public const string PointPrefix = "point-";

    /// <summary>
    /// Events worth keeping only while a job runs (throttled training records: the curves keep their epoch ends in the
    /// metrics table). Once the job has ended, cleanup keeps the last of each and removes the rest.
    /// </summary>
    public static IReadOnlyList<string> Transient { get; } = [Progress, PointPrefix + Progress];

    /// <summary>The name of an experiment event.</summary>
    public static string Of(ExperimentEvent e) => e switch
    {
        ExperimentStarted => Started,
        PresetChosen => Preset,
        ProbeFinished => Probe,
        TrainingUpdate => Progress,
        RunFinished => Run,
        ExperimentFinished => Finished,
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "an experiment event without a name in the contract"),
    };

    /// <summary>The name of an experiment event of a sweep point ("point-" + its own name).</summary>
    public static string OfPoint(ExperimentEvent e) => PointPrefix + Of(e);
}

/// <summary>A line for a job's log.</summary>
public sealed record LogLine(string Level, string Message);

/// <summary>A sweep point's experiment event, with the point's place in the grid and its settings.</summary>
public sealed record PointEvent(int Point, int Points, IReadOnlyDictionary<string, string> Settings, JsonElement Event);

/// <summary>
/// One epoch of one arm and seed (point: index of the sweep point, 0 otherwise). The same shape everywhere: the
/// worker sends it with the epoch's last progress event, the host stores it, the API returns it with the job, and live
/// "event" messages carry it as <c>curve</c>.
/// </summary>
public sealed record CurvePoint(int Point, string Arm, int Seed, int Epoch, JsonElement Values)
{
    /// <summary>The epoch-end values of a training record, or null mid-epoch.</summary>
    public static CurvePoint? Of(TrainingProgress p, int point) => p.EpochEnd
        ? new CurvePoint(point, p.Arm, p.Seed, p.Epoch, JsonSerializer.SerializeToElement(new EpochValues(p.TrainLoss, p.LossParts,
            p.TrainAccuracy, p.ValAccuracy, p.LearningRate, p.ImagesPerSecond, p.ElapsedSeconds), WebLabJson.Compact))
        : null;
}

/// <summary>What a curve point holds for one epoch.</summary>
public sealed record EpochValues(double TrainLoss, IReadOnlyDictionary<string, double>? LossParts, double? TrainAccuracy, double? ValAccuracy,
    double LearningRate, double ImagesPerSecond, double ElapsedSeconds);
