namespace WebLab.Training;

/// <summary>Mean, sample standard deviation and a two-sided 95% Student-t interval of a few numbers.</summary>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="Std">Sample standard deviation (n - 1); 0 for one value.</param>
/// <param name="Ci95">[low, high]: mean ± t(0.975, n - 1) · std / √n; both equal the mean for one value.</param>
/// <param name="PerSeed">The values.</param>
public sealed record Summary(double Mean, double Std, double[] Ci95, double[] PerSeed)
{
    public int N => PerSeed.Length;

    /// <summary>Summarises <paramref name="values"/> (at least one).</summary>
    public static Summary Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            throw new ArgumentException("at least one value is needed", nameof(values));
        double mean = values.Average();
        double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        double half = values.Count > 1 ? StudentT.Quantile(0.975, values.Count - 1) * std / Math.Sqrt(values.Count) : 0;
        return new Summary(mean, std, [mean - half, mean + half], [.. values]);
    }

    /// <summary>
    /// The paired comparison of <paramref name="a"/> and <paramref name="b"/> (the same seeds or tasks, in the same order): the
    /// summary of the differences a[i] − b[i], so its interval is the paired Student-t interval of the mean difference.
    /// </summary>
    public static Summary Paired(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count)
            throw new ArgumentException($"paired values need equal lengths (got {a.Count} and {b.Count})");
        return Of([.. a.Select((v, i) => v - b[i])]);
    }
}

/// <summary>Intervals for a share of successes.</summary>
public static class Proportions
{
    /// <summary>The 0.975 quantile of the standard normal distribution.</summary>
    private const double Z = 1.959963984540054;

    /// <summary>
    /// Wilson's score 95 % interval for <paramref name="successes"/> out of <paramref name="n"/>: (p̂ + z²/2n ± z√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n).
    /// Unlike p̂ ± z√(p̂(1 − p̂)/n) it is not empty at 0 or n successes and stays inside 0..1.
    /// </summary>
    public static double[] Wilson95(int successes, int n)
    {
        if (n < 1 || successes < 0 || successes > n)
            throw new ArgumentOutOfRangeException(nameof(successes), $"need 0 <= successes <= n and n >= 1 (got {successes} of {n})");
        double p = successes / (double)n, z2 = Z * Z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return [Math.Max(0, centre - half), Math.Min(1, centre + half)];
    }
}

/// <summary>The nonparametric bootstrap (Efron): a statistic's sampling spread from resamples of the data itself.</summary>
public static class Bootstrap
{
    /// <summary>
    /// The percentile 95 % interval of <paramref name="statistic"/>: its 2.5 and 97.5 percentiles (linear interpolation
    /// between order statistics) over <paramref name="resamples"/> resamples of <paramref name="items"/> with replacement, each
    /// the size of the data. Resamples whose statistic is NaN (a constant column, say) are left out; [NaN, NaN] when all
    /// are. Deterministic for a seed.
    /// </summary>
    public static double[] Ci95<T>(IReadOnlyList<T> items, Func<IReadOnlyList<T>, double> statistic, int resamples = 10_000, int seed = 2026)
    {
        if (items.Count == 0)
            throw new ArgumentException("at least one item is needed", nameof(items));
        if (resamples < 1)
            throw new ArgumentOutOfRangeException(nameof(resamples), "at least one resample is needed");
        var random = new Random(seed);
        var resample = new T[items.Count];
        var values = new List<double>(resamples);
        for (int r = 0; r < resamples; r++)
        {
            for (int i = 0; i < resample.Length; i++)
                resample[i] = items[random.Next(items.Count)];
            double value = statistic(resample);
            if (!double.IsNaN(value))
                values.Add(value);
        }
        if (values.Count == 0)
            return [double.NaN, double.NaN];
        values.Sort();
        return [Percentile(values, 0.025), Percentile(values, 0.975)];
    }

    private static double Percentile(List<double> sorted, double q)
    {
        double position = q * (sorted.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}

/// <summary>Student's t distribution: CDF through the regularised incomplete beta function, quantile by bisection.</summary>
public static class StudentT
{
    /// <summary>P(T &lt;= t) with <paramref name="df"/> degrees of freedom.</summary>
    public static double Cdf(double t, double df)
    {
        double x = df / (df + t * t);
        double tail = 0.5 * RegularizedIncompleteBeta(df / 2, 0.5, x);
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The p-quantile (0 &lt; p &lt; 1).</summary>
    public static double Quantile(double p, double df)
    {
        if (p <= 0 || p >= 1 || df <= 0)
            throw new ArgumentOutOfRangeException(nameof(p));
        double lo = -1e3, hi = 1e3;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Cdf(mid, df) < p)
                lo = mid;
            else
                hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    // Numerical Recipes' continued fraction (Lentz), with the symmetry I_x(a,b) = 1 - I_{1-x}(b,a).
    private static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (x <= 0)
            return 0;
        if (x >= 1)
            return 1;
        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        if (x > (a + 1) / (a + b + 2))
            return 1 - RegularizedIncompleteBeta(b, a, 1 - x);
        const double tiny = 1e-300;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        d = Math.Abs(d) < tiny ? tiny : d;
        d = 1 / d;
        double f = d;
        for (int m = 1; m <= 300; m++)
        {
            double numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 + numerator * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = 1 + numerator / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            f *= c * d;
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            d = 1 + numerator * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = 1 + numerator / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-15)
                break;
        }
        return front * f / a;
    }

    // Lanczos approximation (g = 7, n = 9).
    private static readonly double[] s_lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    internal static double LogGamma(double z)
    {
        if (z < 0.5)
            return Math.Log(Math.PI / Math.Sin(Math.PI * z)) - LogGamma(1 - z);
        z -= 1;
        double x = s_lanczos[0];
        for (int i = 1; i < 9; i++)
            x += s_lanczos[i] / (z + i);
        double t = z + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (z + 0.5) * Math.Log(t) - t + Math.Log(x);
    }
}
