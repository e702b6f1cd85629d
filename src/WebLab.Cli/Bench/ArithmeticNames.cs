using WebLab.Training;

namespace WebLab.Cli.Bench;

/// <summary>How a bench names an <see cref="Arithmetic"/> in its table and its results file.</summary>
internal static class ArithmeticNames
{
    /// <summary>"float32", "bf16 autocast", "float32, channels-last", ...</summary>
    public static string Describe(Arithmetic arithmetic) =>
        (arithmetic.Precision == Precision.BFloat16 ? "bf16 autocast" : "float32") + (arithmetic.ChannelsLast ? ", channels-last" : "");

    /// <summary>The results-file suffix: "" for float32 NCHW, else "-bf16", "-channels-last" or both.</summary>
    public static string Suffix(Arithmetic arithmetic) =>
        (arithmetic.Precision == Precision.BFloat16 ? "-bf16" : "") + (arithmetic.ChannelsLast ? "-channels-last" : "");
}
