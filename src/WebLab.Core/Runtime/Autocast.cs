using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Runtime;

/// <summary>
/// libtorch's automatic mixed precision (what <c>torch.autocast</c> wraps), for the calling thread.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 has no autocast, but libtorch (2.10) exports the C++ switches that PyTorch's context manager
/// calls, so we call them as <see cref="Nnpack"/> does: enter sets the device's autocast dtype and flag (thread-local
/// dispatch state) and raises the nesting level; leaving restores both and, at nesting level 0, clears the cache of
/// lower-precision weight copies - they go stale once the optimiser updates the weights, which is why a region must
/// end before <c>backward</c> and the optimiser step, exactly as in PyTorch. The ops that run inside are libtorch's
/// own autocast lists, so a region here behaves as <c>with torch.autocast(...)</c> around the same calls.
/// The entry points are Itanium-mangled (Linux, macOS); where they are missing <see cref="Available"/> is false.
/// </remarks>
public static partial class Autocast
{
    private const string LibTorch = "torch_cpu";

    /// <summary>True where this libtorch exports the autocast switches (checked once).</summary>
    public static bool Available { get; } = Probe();

    /// <summary>
    /// Runs libtorch ops on <paramref name="device"/>'s type in <paramref name="dtype"/> (bfloat16 or float16) where its
    /// autocast lists allow, until the returned region is disposed. Call and dispose on the same thread.
    /// </summary>
    public static Region Enter(DeviceType device, ScalarType dtype)
    {
        if (!Available)
            throw new PlatformNotSupportedException("This libtorch does not export its autocast switches (at::autocast).");
        var region = new Region((sbyte)device, IsEnabled((sbyte)device), GetDtype((sbyte)device), active: true);
        SetDtype((sbyte)device, (sbyte)dtype);
        SetEnabled((sbyte)device, enabled: true);
        _ = IncrementNesting();
        return region;
    }

    /// <summary>True while an autocast region for <paramref name="device"/> is open on this thread.</summary>
    public static bool IsEnabled(DeviceType device) => Available && IsEnabled((sbyte)device);

    /// <summary>
    /// An open autocast region; disposing it restores the previous state (torch.autocast's __exit__). The default value
    /// is no region: disposing it does nothing, so full-precision code can use the same <c>using</c>.
    /// </summary>
    public readonly struct Region : IDisposable
    {
        private readonly sbyte _device;
        private readonly bool _wasEnabled;
        private readonly sbyte _previousDtype;
        private readonly bool _active;

        internal Region(sbyte device, bool wasEnabled, sbyte previousDtype, bool active) =>
            (_device, _wasEnabled, _previousDtype, _active) = (device, wasEnabled, previousDtype, active);

        public void Dispose()
        {
            if (!_active)
                return;
            if (DecrementNesting() == 0)
                ClearCache();
            SetEnabled(_device, _wasEnabled);
            SetDtype(_device, _previousDtype);
        }
    }

    private static bool Probe()
    {
        try
        {
            _ = IsEnabled((sbyte)DeviceType.CPU);
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    // c10::DeviceType and c10::ScalarType are int8_t enums; bool is one byte.
    [LibraryImport(LibTorch, EntryPoint = "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb")]
    private static partial void SetEnabled(sbyte device, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(LibTorch, EntryPoint = "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool IsEnabled(sbyte device);

    [LibraryImport(LibTorch, EntryPoint = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE")]
    private static partial void SetDtype(sbyte device, sbyte dtype);

    [LibraryImport(LibTorch, EntryPoint = "_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE")]
    private static partial sbyte GetDtype(sbyte device);

    [LibraryImport(LibTorch, EntryPoint = "_ZN2at8autocast17increment_nestingEv")]
    private static partial int IncrementNesting();

    [LibraryImport(LibTorch, EntryPoint = "_ZN2at8autocast17decrement_nestingEv")]
    private static partial int DecrementNesting();

    [LibraryImport(LibTorch, EntryPoint = "_ZN2at8autocast11clear_cacheEv")]
    private static partial void ClearCache();
}
