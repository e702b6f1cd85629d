namespace WebLab.Training;

public static partial class Experiment
{
    /// <summary>
    /// The scratch runs a cache already holds for an experiment's seeds (looked up before anything trains, so progress and
    /// its ETA count only the runs that will train), and the keys new ones are stored under.
    /// </summary>
    private sealed class ScratchReuse
    {
        private readonly IScratchRunCache? _cache;
        private readonly Dictionary<int, string> _keys;
        private readonly Dictionary<int, SeedRun> _stored;

        private ScratchReuse(IScratchRunCache? cache, Dictionary<int, string> keys, Dictionary<int, SeedRun> stored) =>
            (_cache, _keys, _stored) = (cache, keys, stored);

        /// <param name="keyOf">The content key of a seed's scratch run (<see cref="ScratchRunKey"/>); not called without a cache.</param>
        public static ScratchReuse Find(IScratchRunCache? cache, IReadOnlyList<int> seeds, Func<int, string> keyOf)
        {
            if (cache is null or NoScratchRunCache)
                return new ScratchReuse(null, [], []);
            var keys = seeds.ToDictionary(seed => seed, keyOf);
            var stored = new Dictionary<int, SeedRun>();
            foreach (var (seed, key) in keys)
            {
                // The key covers the seed, so a stored run is this seed's; checked all the same, as a file could lie.
                if (cache.TryGet(key) is { } run && run.Seed == seed && !run.StoppedByUser)
                    stored[seed] = run with { Reused = true };
            }
            return new ScratchReuse(cache, keys, stored);
        }

        /// <summary>Seeds whose scratch run is reused.</summary>
        public int Count => _stored.Count;

        public SeedRun? Stored(int seed) => _stored.GetValueOrDefault(seed);

        /// <summary>Stores a scratch run that trained to the end (a stopped one is not what the key describes).</summary>
        public void Keep(int seed, SeedRun run)
        {
            if (_cache is not null && _keys.TryGetValue(seed, out var key))
                _cache.Put(key, run with { Reused = false });
        }
    }

    /// <summary>
    /// Reports a reused scratch run as a trained one is reported, so live pages draw it: its curve as epoch-end records (stage
    /// "reused", instantly, the overall fraction standing still), then <see cref="RunFinished"/> with <see cref="RunFinished.Reused"/>.
    /// </summary>
    private static void ReportReused(IProgress<ExperimentEvent>? progress, SeedRun run, TrainerSettings settings, int batchesPerEpoch, double fraction,
        double? eta, double? ntgSoFar)
    {
        if (progress is null)
            return;
        int epochs = settings.TotalEpochs(batchesPerEpoch), steps = settings.TotalSteps(batchesPerEpoch);
        double elapsed = 0;
        foreach (var e in run.Curve)
        {
            elapsed += e.Seconds;
            var record = new TrainingProgress(ScratchArm, run.Seed, "reused", e.Epoch, epochs, e.Step, steps, e.TrainLoss, e.LossParts, e.TrainAccuracy,
                e.ValAccuracy, e.LearningRate, run.ImagesPerSecond, elapsed, null, EpochEnd: true);
            progress.Report(new TrainingUpdate(record, fraction, eta));
        }
        progress.Report(new RunFinished(ScratchArm, run.Seed, run.TestAccuracy, run.BestValAccuracy, run.BestEpoch, run.Seconds, ntgSoFar, Reused: true));
    }
}
