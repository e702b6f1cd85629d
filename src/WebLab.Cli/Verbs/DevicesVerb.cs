using System.CommandLine;
using WebLab.Runtime;

namespace WebLab.Cli.Verbs;

/// <summary>
/// weblab devices: what this build's TorchSharp backend can use. The lab asks its worker program this at start, so a
/// CPU build on a machine with NVIDIA device files trains on the CPU instead of failing every job.
/// </summary>
internal static class DevicesVerb
{
    public static Command Create()
    {
        var json = Cli.Json();
        var command = new Command("devices", "Show the devices this build can train on (CUDA GPUs as the loaded TorchSharp backend sees them).") { json };
        command.SetAction(parse =>
        {
            var report = new DeviceReport(TorchRuntime.CudaDevices, Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES"));
            if (parse.GetValue(json))
            {
                Cli.PrintJson(report);
                return 0;
            }
            Console.WriteLine(report.CudaDevices == 0
                ? "cpu only: this build's TorchSharp backend sees no CUDA device"
                : $"{report.CudaDevices} CUDA device(s): " + string.Join(", ", Enumerable.Range(0, report.CudaDevices).Select(i => $"cuda:{i}")));
            if (report.CudaVisibleDevices is { } visible)
                Console.WriteLine($"CUDA_VISIBLE_DEVICES={visible}");
            return 0;
        });
        return command;
    }
}

/// <summary>What <c>weblab devices --json</c> prints (the lab reads <see cref="CudaDevices"/>).</summary>
internal sealed record DeviceReport(int CudaDevices, string? CudaVisibleDevices);
