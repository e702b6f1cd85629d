using System.Globalization;

namespace WebLab.Web.Components;

/// <summary>How the pages write the numbers people compare.</summary>
internal static class Format
{
    /// <summary>A fraction as a percentage: 0.909 -> "90.9 %".</summary>
    public static string Percent(double fraction, string digits = "0.0") =>
        (fraction * 100).ToString(digits, CultureInfo.InvariantCulture) + " %";

    /// <summary>A fraction as signed points: -0.029 -> "-2.9", and "0.0" for what rounds to zero.</summary>
    public static string Points(double fraction) => SignedNumber.Format(fraction * 100, 1);

    /// <summary>A stored ISO-8601 UTC time as "2026-12-02 13:10 UTC".</summary>
    public static string When(string iso) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC" : iso;
}
