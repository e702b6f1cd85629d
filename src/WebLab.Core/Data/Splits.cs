namespace WebLab.Data;

/// <summary>How a loaded dataset becomes train/val/test for one run.</summary>
/// <param name="Classes">Class indices to keep (renumbered 0..k-1 in this order); null keeps all.</param>
/// <param name="PerClass">Training images per class (stratified random subsample); null keeps all.</param>
/// <param name="ValPerClass">Validation images per class when the dataset has no val split; null uses <paramref name="ValFraction"/> capped at <paramref name="MaxValPerClass"/> and at half of <paramref name="PerClass"/> (<see cref="Splits.ValCount"/>).</param>
/// <param name="ValFraction">Fraction of the training pool held out for validation when no per-class count applies.</param>
/// <param name="MaxValPerClass">Cap on the fraction-based validation count (keeps per-epoch validation cheap on large datasets).</param>
/// <param name="TestFraction">Fraction of the pool held out for test when the dataset has no test split.</param>
/// <param name="Seed">Seed of the training subsample (and of the held-out sets unless <paramref name="HoldoutSeed"/> is set).</param>
/// <param name="HoldoutSeed">Seed for carving test and validation; fixing it keeps them identical across training seeds.</param>
public sealed record SplitOptions(
    IReadOnlyList<int>? Classes = null,
    int? PerClass = null,
    int? ValPerClass = null,
    double ValFraction = 0.1,
    double TestFraction = 0.2,
    int Seed = 0,
    int MaxValPerClass = 50,
    int? HoldoutSeed = null);

/// <summary>The three sets of one run. Owns its images.</summary>
public sealed record DataSplits(LabeledImages Train, LabeledImages Val, LabeledImages Test) : IDisposable
{
    public IReadOnlyList<string> ClassNames => Train.ClassNames;

    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
        Test.Dispose();
    }
}

/// <summary>Deterministic stratified splitting and per-class subsampling.</summary>
public static class Splits
{
    /// <summary>
    /// Builds train/val/test. The dataset's own test (and val) split is used when it has one; otherwise they are
    /// carved, stratified, out of the training pool. Test is carved first, then val, then the training subsample,
    /// and none of the first two depends on <see cref="SplitOptions.PerClass"/>: with one seed, smaller training
    /// sets are subsets of larger ones and test and val never change (what a data-efficiency sweep needs).
    /// </summary>
    public static DataSplits Make(LoadedDataset dataset, SplitOptions options)
    {
        if (options.PerClass is < 1)
            throw new BadInputException($"Images per class must be at least 1 (got {options.PerClass}).");
        if (options.ValFraction is < 0 or >= 1 || options.TestFraction is < 0 or >= 1)
            throw new BadInputException("Validation and test fractions must be in [0, 1).");

        var classes = options.Classes ?? Enumerable.Range(0, dataset.Train.ClassNames.Count).ToArray();
        using var pool = dataset.Train.SelectClasses(classes);
        var byClass = ShuffledByClass(pool.Labels, pool.ClassNames.Count, options.HoldoutSeed ?? options.Seed);
        var trainRng = new Random(unchecked(options.Seed * 2_147_483 + 77));

        var testIdx = new List<int>();
        var valIdx = new List<int>();
        var trainIdx = new List<int>();
        for (int c = 0; c < byClass.Length; c++)
        {
            var items = byClass[c];
            int at = 0;
            if (dataset.Test is null)
            {
                int n = (int)Math.Round(items.Count * options.TestFraction);
                testIdx.AddRange(items.Take(n));
                at += n;
            }
            if (dataset.Val is null)
            {
                int left = items.Count - at;
                int n = options.ValPerClass ?? Math.Min((int)Math.Round(items.Count * options.ValFraction), options.MaxValPerClass);
                n = Math.Min(n, Math.Max(0, left - 1));
                valIdx.AddRange(items.Skip(at).Take(ValCount(n, options)));
                at += n; // the whole reservation is skipped, so the training pool does not depend on PerClass

            }
            var rest = items.Skip(at).ToArray();
            if (options.HoldoutSeed is not null)
                trainRng.Shuffle(rest); // the training subsample follows Seed, the held-out sets HoldoutSeed
            trainIdx.AddRange(options.PerClass is { } perClass ? rest.Take(perClass) : rest);
        }

        var train = pool.Select(trainIdx);
        var val = dataset.Val is { } v ? v.SelectClasses(classes) : pool.Select(valIdx);
        var test = dataset.Test is { } t ? t.SelectClasses(classes) : pool.Select(testIdx);
        return new DataSplits(train, val, test);
    }

    /// <summary>
    /// Validation images per class out of a reservation of <paramref name="reserved"/>: never more than half the training images
    /// per class (at least one), so a 10-per-class target validates on 5 per class, not 50. Model selection on a validation set
    /// larger than the training set is a luxury no real small-data user has, and it flatters whichever arm is tuned on it.
    /// An explicit <see cref="SplitOptions.ValPerClass"/> is taken as given.
    /// </summary>
    public static int ValCount(int reserved, SplitOptions options) =>
        options.ValPerClass is null && options.PerClass is { } perClass ? Math.Min(reserved, Math.Max(1, perClass / 2)) : reserved;

    /// <summary>Indices of each class, shuffled with a per-class stream of <paramref name="seed"/>.</summary>
    public static List<int>[] ShuffledByClass(IReadOnlyList<int> labels, int classCount, int seed)
    {
        var byClass = Enumerable.Range(0, classCount).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < labels.Count; i++)
            byClass[labels[i]].Add(i);
        for (int c = 0; c < classCount; c++)
        {
            var rng = new Random(unchecked((seed * 1_000_003) ^ (c * 7_919) ^ 0x5eed)); // HashCode is per-process random
            var list = byClass[c];
            for (int i = list.Count - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (list[i], list[j]) = (list[j], list[i]);
            }
        }
        return byClass;
    }
}
