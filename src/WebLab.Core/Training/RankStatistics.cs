namespace WebLab.Training;

/// <summary>An estimate with a two-sided permutation p-value and a 95 % percentile bootstrap interval.</summary>
/// <param name="Estimate">The statistic on the data as given; NaN when it is undefined (then so are the rest).</param>
/// <param name="PValue">(1 + permutations at least as extreme) / (1 + permutations counted): never 0.</param>
/// <param name="Ci95">[low, high]: the 2.5 and 97.5 percentiles of the statistic over bootstrap resamples.</param>
/// <param name="N">Pairs (or triples) the estimate is computed over.</param>
public sealed record TestedEstimate(double Estimate, double PValue, double[] Ci95, int N);

/// <summary>
/// Rank correlations and their tests, for asking whether a transferability measure orders targets the way their measured
/// gains do. Inputs are paired lists of equal length; an input holding NaN gives NaN (the rank of NaN is undefined).
/// </summary>
public static class RankStatistics
{
    /// <summary>1-based ranks; tied values share the average of the ranks they span (scipy's "average" method).</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        if (values.Any(double.IsNaN))
            throw new ArgumentException("NaN has no rank", nameof(values));
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]])
                j++;
            for (int t = i; t <= j; t++)
                ranks[order[t]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }

    /// <summary>Pearson's r; NaN when either side is constant or there are fewer than 2 pairs.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        if (x.Count < 2)
            return double.NaN;
        double mx = x.Average(), my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        // Clamped: rounding can carry a perfect correlation a hair past ±1.
        return sxx == 0 || syy == 0 ? double.NaN : Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1);
    }

    /// <summary>Spearman's ρ: Pearson's r of the average ranks; NaN when either side is constant.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        return HasNaN(x) || HasNaN(y) ? double.NaN : Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>
    /// Kendall's τ-b: (concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)), where n₀ = n(n − 1)/2 and n₁, n₂ are the pairs
    /// tied in x and in y (a pair tied in both counts in both). NaN when either side is constant. O(n²), meant for the
    /// tens to hundreds of targets a study has.
    /// </summary>
    public static double KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        if (HasNaN(x) || HasNaN(y))
            return double.NaN;
        long score = 0, untiedX = 0, untiedY = 0;
        for (int i = 0; i < x.Count; i++)
        {
            for (int j = i + 1; j < x.Count; j++)
            {
                int sx = Math.Sign(x[i] - x[j]), sy = Math.Sign(y[i] - y[j]);
                score += sx * sy;
                untiedX += sx != 0 ? 1 : 0;
                untiedY += sy != 0 ? 1 : 0;
            }
        }
        return untiedX == 0 || untiedY == 0 ? double.NaN : score / Math.Sqrt((double)untiedX * untiedY);
    }

    /// <summary>
    /// Spearman partial correlation of x and y controlling z: Pearson's r of the residuals of rank(x) and rank(y), each
    /// regressed (with an intercept) on rank(z). Equal to (ρxy − ρxz ρyz) / √((1 − ρxz²)(1 − ρyz²)); NaN when a residual is
    /// constant (z ranks x or y perfectly).
    /// </summary>
    public static double PartialSpearman(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> z)
    {
        CheckPaired(x, y);
        CheckPaired(x, z);
        if (HasNaN(x) || HasNaN(y) || HasNaN(z))
            return double.NaN;
        var rz = Ranks(z);
        return Pearson(Residuals(Ranks(x), rz), Residuals(Ranks(y), rz));
    }

    /// <summary>
    /// <paramref name="statistic"/>(x, y) with a two-sided permutation p-value (y permuted against x; the share of
    /// permutations whose |statistic| reaches the observed one, counting the data as one of them) and a percentile bootstrap
    /// interval (pairs resampled with replacement; see <see cref="Bootstrap.Ci95{T}"/>). Permutations whose statistic is NaN
    /// are left out of the count. Deterministic for a seed.
    /// </summary>
    public static TestedEstimate Test(IReadOnlyList<double> x, IReadOnlyList<double> y, Func<IReadOnlyList<double>, IReadOnlyList<double>, double> statistic,
        int permutations = 10_000, int resamples = 10_000, int seed = 2026)
    {
        CheckPaired(x, y);
        CheckCounts(permutations, resamples);
        double observed = statistic(x, y);
        if (double.IsNaN(observed))
            return Undefined(x.Count);
        var random = new Random(seed);
        var shuffled = y.ToArray();
        var permuted = Enumerable.Range(0, permutations).Select(_ =>
        {
            random.Shuffle(shuffled);
            return statistic(x, shuffled);
        });
        var ci = Bootstrap.Ci95(Indices(x.Count), rows => statistic(Pick(x, rows), Pick(y, rows)), resamples, seed);
        return new TestedEstimate(observed, PValue(observed, permuted), ci, x.Count);
    }

    /// <summary>
    /// <see cref="PartialSpearman"/> of x and y given z, tested by Freedman and Lane's (1983) permutation of residuals on
    /// the rank scale: rank(y) = fitted + residual from its regression on rank(z); each permutation shuffles the residuals,
    /// rebuilds rank(y)* = fitted + shuffled residuals (not re-ranked) and recomputes the partial correlation of rank(x) and
    /// rank(y)* given rank(z). This keeps the y–z association that the null hypothesis (x and y unrelated once z is
    /// accounted for) allows, which permuting y itself would break. The interval resamples (x, y, z) triples and re-ranks
    /// each resample. Deterministic for a seed.
    /// </summary>
    public static TestedEstimate TestPartial(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> z,
        int permutations = 10_000, int resamples = 10_000, int seed = 2026)
    {
        CheckPaired(x, y);
        CheckPaired(x, z);
        CheckCounts(permutations, resamples);
        double observed = PartialSpearman(x, y, z);
        if (double.IsNaN(observed))
            return Undefined(x.Count);
        var rz = Ranks(z);
        var residualX = Residuals(Ranks(x), rz);
        var ry = Ranks(y);
        var residualY = Residuals(ry, rz);
        var fitted = ry.Select((r, i) => r - residualY[i]).ToArray();
        var random = new Random(seed);
        var shuffled = residualY.ToArray();
        var rebuilt = new double[shuffled.Length];
        var permuted = Enumerable.Range(0, permutations).Select(_ =>
        {
            random.Shuffle(shuffled);
            for (int i = 0; i < rebuilt.Length; i++)
                rebuilt[i] = fitted[i] + shuffled[i];
            return Pearson(residualX, Residuals(rebuilt, rz));
        });
        var ci = Bootstrap.Ci95(Indices(x.Count), rows => PartialSpearman(Pick(x, rows), Pick(y, rows), Pick(z, rows)), resamples, seed);
        return new TestedEstimate(observed, PValue(observed, permuted), ci, x.Count);
    }

    // Two-sided, with the observed data counted as one permutation (Phipson and Smyth 2010), so p is never 0. The tolerance
    // keeps a permutation that reproduces the observed statistic from losing the tie to rounding.
    private static double PValue(double observed, IEnumerable<double> permuted)
    {
        double threshold = Math.Abs(observed) * (1 - 1e-12);
        int counted = 0, extreme = 0;
        foreach (double value in permuted)
        {
            if (double.IsNaN(value))
                continue;
            counted++;
            if (Math.Abs(value) >= threshold)
                extreme++;
        }
        return (1.0 + extreme) / (1.0 + counted);
    }

    /// <summary>The residuals of <paramref name="a"/> after a least-squares line on <paramref name="b"/> (b constant: a − mean a).</summary>
    private static double[] Residuals(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        double slope = sbb == 0 ? 0 : sab / sbb;
        var residuals = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
            residuals[i] = a[i] - ma - slope * (b[i] - mb);
        return residuals;
    }

    private static TestedEstimate Undefined(int n) => new(double.NaN, double.NaN, [double.NaN, double.NaN], n);

    private static int[] Indices(int n) => [.. Enumerable.Range(0, n)];

    private static double[] Pick(IReadOnlyList<double> values, IReadOnlyList<int> rows) => [.. rows.Select(r => values[r])];

    private static bool HasNaN(IReadOnlyList<double> values) => values.Any(double.IsNaN);

    private static void CheckPaired(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count)
            throw new ArgumentException($"paired values need equal lengths (got {x.Count} and {y.Count})");
    }

    private static void CheckCounts(int permutations, int resamples)
    {
        if (permutations < 1 || resamples < 1)
            throw new ArgumentOutOfRangeException(nameof(permutations), "permutations and resamples must be at least 1");
    }
}
