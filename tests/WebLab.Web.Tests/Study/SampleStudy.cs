using WebLab.Transfer;

namespace WebLab.Web.Tests.Study;

/// <summary>A made-up but plausible study summary (two pairs, two measures), as `weblab study` would write it, and one plot.</summary>
internal static class SampleStudy
{
    public const string Plot = "plane.svg";

    /// <summary>Listed in <see cref="Summary"/> but never written: the page says its file is missing.</summary>
    public const string AbsentPlot = "ntg-by-size.svg";

    // A small valid SVG; the script inside must never run (the page shows it with <img>, the route forbids scripts).
    public const string Svg =
        """<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100" fill="#dbeafe"/>"""
        + """<text x="10" y="50">plane</text><script>document.title = 'svg script ran'</script></svg>""";

    public static StudySummary Summary(double? wallSeconds = 1830) => new(
        StudySummary.CurrentVersion,
        new DateTimeOffset(2026, 11, 23, 14, 5, 0, TimeSpan.Zero),
        "AMD EPYC, 2 cores, Debian GNU/Linux 12 (bookworm), .NET 10.0.12, TorchSharp CPU",
        "quick",
        3,
        1812,
        wallSeconds,
        [
            new("Transfer beats scratch on a small similar target", "NTG matched < 0 on fashion-20: its 95 % t interval lies below 0", VerdictOutcome.Holds,
                "NTG -12.4 pt [-15.1, -9.7] over 3 seeds"),
            new("LEEP ranks targets by transferred accuracy", "Kendall τ > 0 with permutation p < 0.05", VerdictOutcome.Fails,
                "τ = -0.31 [-0.71, +0.12], p = 0.04, N = 10"),
            new("The recommender is within 1 pt of the best answer on held-out pairs", "held-out regret interval below 1 pt", VerdictOutcome.Undecided,
                "regret 0.9 pt [0.2, 2.1] on 4 pairs"),
        ],
        [
            new(Plot, "The size x similarity plane", "Every study task on the plane, the recommender's regions behind it."),
            new(AbsentPlot, "NTG by target size", "Matched NTG per preset as the target grows."),
        ],
        [
            new("fashion-20", "Fashion-MNIST 5-9, 20 per class", "resnet8 on Fashion-MNIST 0-4", "calibration", "small-similar", "small-similar", 0.2, 0.91,
            [
                new("small-similar", "lr x1, 300 steps", 84.8, new(83.9, 82.7, 85.1), new(-12.4, -15.1, -9.7), new(-10.2, -12.9, -7.5), new(0, 0, 0)),
                new("linear-probe", "lr x2, 150 steps", 80.1, new(79.6, 78.2, 81.0), new(-8.1, -10.0, -6.2), new(-5.9, -8.0, -3.8), new(-4.3, -5.6, -3.0)),
                new("scratch", "lr x1, 600 steps", 72.0, new(71.5, 69.8, 73.2), null, null, new(-12.4, -15.1, -9.7)),
            ]),
            new("mnist-20", "MNIST digits 0-4, 20 per class", "resnet8 on Fashion-MNIST 0-4", "held-out", "small-dissimilar", "scratch", 0.2, 0.42,
            [
                new("small-dissimilar", "lr x0.5, 300 steps", 90.2, new(89.1, 87.5, 90.7), new(0.6, -0.8, 2.0), new(1.1, -0.4, 2.6), new(-0.9, -2.1, 0.3)),
                new("scratch", "lr x1, 600 steps", 91.0, new(90.0, 88.9, 91.1), null, null, new(0, 0, 0)),
            ]),
        ],
        [
            new("Fashion-MNIST 0-4", "leep", "accuracy", 10, new(-0.31, 0.04, -0.71, 0.12), new(-0.40, 0.03, -0.82, 0.15), new(-0.22, 0.31, -0.69, 0.35)),
            new("Fashion-MNIST 0-4", "logme", "gain", 10, new(0.51, 0.0004, 0.18, 0.80), new(0.66, 0.004, 0.25, 0.90), new(0.48, 0.09, -0.05, 0.83)),
        ],
        new RecommenderSummary(4, new(0.9, 0.2, 2.1), 0.75, [0.30, 0.95], new(0.3, 0.0, 0.8),
            new Dictionary<string, double> { ["small-size"] = 200, ["similarity"] = 0.75 }),
        new ReuseSummary(24, 9, 1130));
}
