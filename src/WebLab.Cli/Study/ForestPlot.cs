using System.Globalization;
using System.Net;
using System.Text;

namespace WebLab.Cli.Study;

/// <summary>One row of a forest plot: a label, a point estimate and its 95 % interval.</summary>
internal sealed record ForestRow(string Label, double Value, double Low, double High, string? Group = null);

/// <summary>
/// Forest plots as standalone SVG (no script, no external reference): one row per estimate, its interval as a bar, a reference
/// line at zero. Every figure of the study is one: NTG per answer, correlations per measure, regret per pair.
/// </summary>
internal static class ForestPlot
{
    private static readonly CultureInfo s_ci = CultureInfo.InvariantCulture;
    private static readonly double[] s_steps = [1, 2, 5, 10];
    private static readonly string[] s_palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];

    /// <param name="title">Shown above the plot.</param>
    /// <param name="axis">The x axis in words, with its unit and sign convention.</param>
    /// <param name="rows">Rows top to bottom; rows of one <see cref="ForestRow.Group"/> share a colour.</param>
    /// <param name="range">Fixed x range (e.g. -1..1 for correlations); null fits the data.</param>
    public static string Svg(string title, string axis, IReadOnlyList<ForestRow> rows, (double Min, double Max)? range = null)
    {
        const int labelWidth = 330, plotWidth = 420, right = 30, top = 40, rowHeight = 18, bottom = 50;
        int height = top + Math.Max(1, rows.Count) * rowHeight + bottom;
        int width = labelWidth + plotWidth + right;
        var finite = rows.SelectMany(r => new[] { r.Low, r.High, r.Value }).Where(double.IsFinite).ToList();
        var (min, max) = range ?? (finite.Count == 0 ? (-1, 1) : (Math.Min(0, finite.Min()), Math.Max(0, finite.Max())));
        if (max - min < 1e-9)
            (min, max) = (min - 1, max + 1);
        double pad = (max - min) * 0.05;
        (min, max) = range is null ? (min - pad, max + pad) : (min, max);
        double X(double v) => labelWidth + (Math.Clamp(v, min, max) - min) / (max - min) * plotWidth;
        var groups = rows.Select(r => r.Group ?? "").Distinct().ToList();

        var svg = new StringBuilder();
        svg.Append(s_ci, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.Append(s_ci, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        svg.Append(s_ci, $"<text x=\"{width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{Escape(title)}</text>");
        int plotBottom = top + rows.Count * rowHeight;
        foreach (var tick in Ticks(min, max))
        {
            svg.Append(s_ci, $"<line x1=\"{X(tick):F1}\" y1=\"{top - 4}\" x2=\"{X(tick):F1}\" y2=\"{plotBottom}\" stroke=\"{(tick == 0 ? "#000" : "#ddd")}\"/>");
            svg.Append(s_ci, $"<text x=\"{X(tick):F1}\" y=\"{plotBottom + 16}\" text-anchor=\"middle\">{tick.ToString("0.##", s_ci)}</text>");
        }
        svg.Append(s_ci, $"<text x=\"{labelWidth + plotWidth / 2}\" y=\"{height - 14}\" text-anchor=\"middle\">{Escape(axis)}</text>");
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            double y = top + i * rowHeight + rowHeight / 2.0;
            var colour = s_palette[groups.IndexOf(row.Group ?? "") % s_palette.Length];
            svg.Append(s_ci, $"<text x=\"{labelWidth - 8}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Escape(row.Label)}</text>");
            if (double.IsFinite(row.Low) && double.IsFinite(row.High))
                svg.Append(s_ci, $"<line x1=\"{X(row.Low):F1}\" y1=\"{y:F1}\" x2=\"{X(row.High):F1}\" y2=\"{y:F1}\" stroke=\"{colour}\" stroke-width=\"2\"/>");
            if (double.IsFinite(row.Value))
                svg.Append(s_ci, $"<circle cx=\"{X(row.Value):F1}\" cy=\"{y:F1}\" r=\"4\" fill=\"{colour}\"><title>{Escape(row.Label)}: " +
                                 $"{row.Value.ToString("0.###", s_ci)} [{row.Low.ToString("0.###", s_ci)}, {row.High.ToString("0.###", s_ci)}]</title></circle>");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>About six round ticks across [min, max], zero included when it is inside.</summary>
    internal static IEnumerable<double> Ticks(double min, double max)
    {
        double raw = (max - min) / 6;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = s_steps.Select(m => m * magnitude).First(s => s >= raw);
        for (double t = Math.Ceiling(min / step) * step; t <= max + 1e-9; t += step)
            yield return Math.Abs(t) < step * 1e-6 ? 0 : Math.Round(t, 10);
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
