using System.Runtime.InteropServices;
using TorchSharp;

namespace WebLab.Cli.Bench;

/// <summary>What a result was measured on, for the header of every results file.</summary>
internal static class Machine
{
    public static string Describe()
    {
        var cpu = ReadField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memKb = ReadField("/proc/meminfo", "MemTotal")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        var memory = long.TryParse(memKb, out var kb) ? $"{kb / 1024.0 / 1024:F0} GiB RAM" : "RAM unknown";
        var os = ReadOsRelease() ?? RuntimeInformation.OSDescription;
        var torchSharp = typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?";
        return $"{cpu}, {Environment.ProcessorCount} cores, {memory}, {os}, {RuntimeInformation.FrameworkDescription}, " +
            $"TorchSharp {torchSharp} (CPU), no GPU";
    }

    /// <summary>Today as the results files write it.</summary>
    public static string Date => DateTime.Now.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The 1, 5 and 15 minute load averages (how busy the shared machine was), or "n/a".</summary>
    public static string LoadAverage => File.Exists("/proc/loadavg")
        ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3))
        : "n/a";

    private static string? ReadField(string path, string key)
    {
        if (!File.Exists(path))
            return null;
        foreach (var line in File.ReadLines(path))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == key)
                return line[(colon + 1)..].Trim();
        }
        return null;
    }

    private static string? ReadOsRelease()
    {
        const string path = "/etc/os-release";
        if (!File.Exists(path))
            return null;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
        return line?["PRETTY_NAME=".Length..].Trim('"');
    }
}
