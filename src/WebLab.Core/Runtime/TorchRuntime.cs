using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Runtime;

/// <summary>Device choice and process-wide libtorch settings.</summary>
public static class TorchRuntime
{
    private static readonly Lock s_gate = new();
    private static bool s_initialized;

    /// <summary>Loads libtorch once and applies WebLab's defaults (allocator thresholds, threads, no NNPACK).</summary>
    public static void Initialize()
    {
        lock (s_gate)
        {
            if (s_initialized)
                return;
            NativeAllocator.Configure();
            LoadLibTorch();
            Nnpack.Disable();
            var threads = Environment.GetEnvironmentVariable("WEBLAB_THREADS");
            if (int.TryParse(threads, out var n) && n > 0)
                torch.set_num_threads(n);
            s_initialized = true;
        }
    }

    private static void LoadLibTorch()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e) when (NativeLibraries.LastFailure is { } failure)
        {
            throw new InvalidOperationException(
                $"libtorch could not be loaded: {failure}. Rebuild WebLab (the build makes its libLibTorchSharp.so " +
                "loadable on this libstdc++; see Directory.Build.targets).", e);
        }
    }

    /// <summary>True when a CUDA device can be used in this process.</summary>
    public static bool CudaAvailable
    {
        get
        {
            Initialize();
            try
            {
                return torch.cuda.is_available();
            }
            catch (Exception e) when (e is DllNotFoundException or NotSupportedException or InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <summary>CUDA devices this process can use: 0 with the CPU backend or without a GPU.</summary>
    public static int CudaDevices => CudaAvailable ? (int)torch.cuda.device_count() : 0;

    /// <summary>
    /// Resolves "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
    /// Asking for CUDA where there is none is an input error, not a silent fallback.
    /// </summary>
    public static Device ResolveDevice(string? requested = "auto")
    {
        Initialize();
        var name = string.IsNullOrWhiteSpace(requested) ? "auto" : requested.Trim().ToLowerInvariant();
        if (name == "auto")
            return CudaAvailable ? torch.CUDA : torch.CPU;
        if (name == "cpu")
            return torch.CPU;
        if (name.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!CudaAvailable)
                throw new BadInputException(
                    $"Device '{requested}' was asked for, but no CUDA device is available to this process " +
                    "(this build may be the CPU backend; build with -p:TorchBackend=cuda).");
            return torch.device(name);
        }
        throw new BadInputException($"Unknown device '{requested}'. Use auto, cpu, cuda or cuda:N.");
    }

    /// <summary>A human-readable description of a device, e.g. "cpu (2 threads)" or "cuda:0 (NVIDIA H100)".</summary>
    public static string Describe(Device device)
    {
        if (device.type == DeviceType.CPU)
            return $"cpu ({torch.get_num_threads()} threads)";
        return $"{device.type.ToString().ToLowerInvariant()}:{Math.Max(device.index, 0)}";
    }
}
