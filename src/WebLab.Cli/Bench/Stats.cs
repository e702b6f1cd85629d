namespace WebLab.Cli.Bench;

/// <summary>Medians: robust to the odd slow repeat on a shared machine.</summary>
internal static class Stats
{
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
}
