namespace WebLab.Training;

/// <summary>
/// A progress record from a training run (throttled: step records at most a few per second, always one at
/// each epoch end). Fractions are in [0, 1]; losses are per example; <see cref="LossParts"/> holds the
/// cross-entropy and every regulariser term separately.
/// </summary>
public sealed record TrainingProgress(
    string Arm,
    int Seed,
    string Stage,
    int Epoch,
    int Epochs,
    int Step,
    int TotalSteps,
    double TrainLoss,
    IReadOnlyDictionary<string, double> LossParts,
    double? TrainAccuracy,
    double? ValAccuracy,
    double LearningRate,
    double ImagesPerSecond,
    double ElapsedSeconds,
    double? EtaSeconds,
    bool EpochEnd)
{
    /// <summary>Fraction of this run's steps done.</summary>
    public double Fraction => TotalSteps == 0 ? 1 : (double)Step / TotalSteps;
}

/// <summary>Metrics at the end of one epoch.</summary>
public sealed record EpochMetrics(
    int Epoch,
    int Step,
    double TrainLoss,
    IReadOnlyDictionary<string, double> LossParts,
    double TrainAccuracy,
    double ValLoss,
    double ValAccuracy,
    double LearningRate,
    double Seconds);

/// <summary>Lets a user stop a run early: it finishes the current batch and keeps the best model so far.</summary>
public sealed class RunControl
{
    private volatile bool _stop;

    public bool StopRequested => _stop;

    public void RequestStop() => _stop = true;
}
