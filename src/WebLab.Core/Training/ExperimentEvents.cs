using System.Text.Json.Serialization;
using WebLab.Transfer;

namespace WebLab.Training;

/// <summary>
/// What an experiment reports while it runs, in order: started, probe, many training updates and run results,
/// finished. Serialised with a "type" discriminator (JSON lines from workers).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(ExperimentStarted), "started")]
[JsonDerivedType(typeof(ProbeFinished), "probe")]
[JsonDerivedType(typeof(PresetChosen), "preset")]
[JsonDerivedType(typeof(TrainingUpdate), "progress")]
[JsonDerivedType(typeof(RunFinished), "run")]
[JsonDerivedType(typeof(ExperimentFinished), "finished")]
public abstract record ExperimentEvent;

/// <summary>Data is loaded and checked; <paramref name="Runs"/> arm-seed runs will follow, both arms at <paramref name="InputSize"/>.</summary>
public sealed record ExperimentStarted(string Name, TargetSummary Target, SourceSummary Source, IReadOnlyList<string> Warnings, int Runs, string Device,
    InputSizeChoice? InputSize = null) : ExperimentEvent;

/// <summary>The frozen-feature probe's result: the first number an experiment shows.</summary>
public sealed record ProbeFinished(ProbeResult Probe) : ExperimentEvent;

/// <summary>The dials came from a preset (and, for "auto", from the recommender's analysis).</summary>
public sealed record PresetChosen(string Preset, Transfer.TransferDials Dials, Transfer.Recommendation? Recommendation, Transfer.AnalysisResult? Analysis)
    : ExperimentEvent;

/// <summary>A throttled training record, with the whole experiment's progress.</summary>
public sealed record TrainingUpdate(TrainingProgress Progress, double OverallFraction, double? OverallEtaSeconds) : ExperimentEvent;

/// <summary>
/// One arm finished one seed. <paramref name="Reused"/>: it is a stored identical scratch run (<see cref="SeedRun.Reused"/>),
/// and <paramref name="Seconds"/> the time it took when it trained.
/// </summary>
public sealed record RunFinished(string Arm, int Seed, double TestAccuracy, double BestValAccuracy, int BestEpoch, double Seconds, double? NtgSoFar,
    bool Reused = false) : ExperimentEvent;

/// <summary>The experiment is done (or was stopped and kept what it had).</summary>
public sealed record ExperimentFinished(ExperimentResult Result) : ExperimentEvent;
