using System.Globalization;

namespace WebLab.Web.Components.Shared;

/// <summary>
/// The colour of a heatmap cell for a number, and a legend that matches. Sequential scales run from pale to deep
/// purple over [Min, Max]; centred scales are for signed gaps: blue below zero (transfer helped), white at zero, red
/// above (negative transfer), symmetric so equal colours mean equal magnitudes. Cells carry explicit text colours, so
/// the numbers stay readable on every cell in both themes.
/// </summary>
public sealed record HeatScale(double Min, double Max, bool Centered)
{
    private static readonly (byte R, byte G, byte B)[] s_sequential = [(0xf3, 0xe5, 0xf5), (0xce, 0x93, 0xd8), (0x8e, 0x24, 0xaa), (0x4a, 0x14, 0x8c)];
    private static readonly (byte R, byte G, byte B)[] s_centered = [(0x15, 0x65, 0xc0), (0x90, 0xca, 0xf9), (0xf5, 0xf5, 0xf5), (0xef, 0x9a, 0x9a), (0xc6, 0x28, 0x28)];

    /// <summary>A sequential scale over the values' range (a single value gets a unit-wide range around it).</summary>
    public static HeatScale Sequential(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0)
            return new HeatScale(0, 1, false);
        double min = finite.Min(), max = finite.Max();
        return max > min ? new HeatScale(min, max, false) : new HeatScale(min - 0.5, max + 0.5, false);
    }

    /// <summary>A scale centred on zero reaching the largest magnitude among the values.</summary>
    public static HeatScale AroundZero(IEnumerable<double> values)
    {
        var reach = values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        return reach > 0 ? new HeatScale(-reach, reach, true) : new HeatScale(-1, 1, true);
    }

    /// <summary>Where <paramref name="value"/> lies on the scale, 0..1 (clamped).</summary>
    public double Position(double value) => double.IsFinite(value) ? Math.Clamp((value - Min) / (Max - Min), 0, 1) : 0;

    /// <summary>The cell colour as #rrggbb.</summary>
    public string Color(double value) => Hex(Rgb(value));

    /// <summary>Black or white, whichever reads better on <see cref="Color"/>.</summary>
    public string TextColor(double value)
    {
        var (r, g, b) = Rgb(value);
        var luminance = (0.2126 * Linear(r)) + (0.7152 * Linear(g)) + (0.0722 * Linear(b));
        return luminance > 0.25 ? "#000000" : "#ffffff";
    }

    /// <summary>The legend bar's CSS background.</summary>
    public string Gradient() =>
        "linear-gradient(to right, " + string.Join(", ", Stops.Select(s => Hex(s))) + ")";

    /// <summary>The style of a cell showing <paramref name="value"/>.</summary>
    public string CellStyle(double value) => $"background: {Color(value)}; color: {TextColor(value)}";

    private (byte R, byte G, byte B)[] Stops => Centered ? s_centered : s_sequential;

    private (byte R, byte G, byte B) Rgb(double value)
    {
        var stops = Stops;
        var x = Position(value) * (stops.Length - 1);
        int i = Math.Min((int)x, stops.Length - 2);
        double t = x - i;
        static byte Mix(byte a, byte b, double t) => (byte)Math.Round(a + ((b - a) * t));
        return (Mix(stops[i].R, stops[i + 1].R, t), Mix(stops[i].G, stops[i + 1].G, t), Mix(stops[i].B, stops[i + 1].B, t));
    }

    private static string Hex((byte R, byte G, byte B) c) => string.Create(CultureInfo.InvariantCulture, $"#{c.R:x2}{c.G:x2}{c.B:x2}");

    private static double Linear(byte channel)
    {
        double c = channel / 255.0;
        return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
    }
}
