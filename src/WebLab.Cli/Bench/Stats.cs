namespace WebLab.Cli.Bench;

/// <summary>Medians, robust to the odd slow repeat on a shared machine, and a ratio with its 95 % interval.</summary>
internal static class Stats
{
    // Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom; beyond, the normal's 1.96 is within 2 %.
    private static readonly double[] s_t975 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }

    /// <summary>Median of per-pair ratios: each WebLab repeat against the PyTorch repeat that ran next to it, so drift cancels.</summary>
    public static double PairedRatio(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators) =>
        Median(numerators.Zip(denominators, (a, b) => a / b).ToArray());

    /// <summary>
    /// The geometric mean of per-pair ratios with its 95 % confidence interval: a t-interval on the logarithms of the
    /// ratios, exponentiated. Pairs make machine drift cancel; logs make a ratio and its inverse symmetric. NaN bounds
    /// with fewer than two pairs.
    /// </summary>
    public static RatioInterval PairedRatioInterval(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators)
    {
        var logs = numerators.Zip(denominators, (a, b) => Math.Log(a / b)).ToArray();
        int n = logs.Length;
        if (n == 0)
            return new RatioInterval(double.NaN, double.NaN, double.NaN, 0);
        double mean = logs.Average();
        if (n == 1)
            return new RatioInterval(Math.Exp(mean), double.NaN, double.NaN, 1);
        double sd = Math.Sqrt(logs.Sum(l => (l - mean) * (l - mean)) / (n - 1));
        double half = (n - 1 <= s_t975.Length ? s_t975[n - 2] : 1.96) * sd / Math.Sqrt(n);
        return new RatioInterval(Math.Exp(mean), Math.Exp(mean - half), Math.Exp(mean + half), n);
    }
}

/// <summary>A ratio (geometric mean of paired ratios) with its 95 % interval over <paramref name="Pairs"/> pairs.</summary>
internal sealed record RatioInterval(double Ratio, double Low, double High, int Pairs)
{
    public override string ToString() => double.IsNaN(Low) ? $"{Ratio:F3}" : $"{Ratio:F3} [{Low:F3}, {High:F3}]";

    /// <summary>The interval alone, for a table cell.</summary>
    public string Interval => double.IsNaN(Low) ? "-" : $"{Low:F3} - {High:F3}";
}
