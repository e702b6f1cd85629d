using System.Globalization;

namespace WebLab;

/// <summary>
/// How WebLab writes a signed number (NTG, gains, correlations; CLI, reports and pages alike): "+0.42", "-2.7", and a value that
/// rounds to zero as "0.0" with no sign. A two-part format ("+0.0;-0.0") prints "-+0.0" for a small negative value, because .NET
/// formats a negative that rounds to zero with the first section and then adds the minus sign.
/// </summary>
public static class SignedNumber
{
    /// <summary><paramref name="value"/> with its sign and <paramref name="decimals"/> decimals; "?" when it is not finite.</summary>
    public static string Format(double value, int decimals)
    {
        if (!double.IsFinite(value))
            return "?";
        var digits = decimals == 0 ? "0" : "0." + new string('0', decimals);
        return value.ToString($"+{digits};-{digits};{digits}", CultureInfo.InvariantCulture);
    }

    /// <summary>"+0.42 [+0.10, +0.71]".</summary>
    public static string Interval(double value, double low, double high, int decimals) =>
        $"{Format(value, decimals)} [{Format(low, decimals)}, {Format(high, decimals)}]";
}
