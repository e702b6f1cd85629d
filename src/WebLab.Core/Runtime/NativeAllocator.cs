using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace WebLab.Runtime;

/// <summary>
/// Keeps glibc malloc from returning every large tensor buffer to the kernel.
/// </summary>
/// <remarks>
/// With glibc's defaults each large activation gets fresh mmap'd pages (about ten times the
/// page faults), which made TorchSharp CPU training 1.6-3.4x slower than PyTorch here. Raising
/// the mmap and trim thresholds - what GLIBC_TUNABLES does at process start - brings it to ~1.06x.
/// mallopt applies the same settings from inside a running process, so every process that loads
/// WebLab.Core (CLI, workers, tests, F# scripts) gets them without anyone setting a variable.
/// </remarks>
public static partial class NativeAllocator
{
    /// <summary>Threshold above which glibc serves allocations with mmap (bytes).</summary>
    public const int MmapThreshold = 32 * 1024 * 1024;

    /// <summary>Free memory at the top of the heap glibc keeps before trimming (bytes, clamped to int).</summary>
    public const int TrimThreshold = int.MaxValue;

    /// <summary>The equivalent environment setting, for child processes that start before any .NET code.</summary>
    public const string GlibcTunables =
        "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=17179869184";

    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;

    /// <summary>True once the thresholds are in effect in this process.</summary>
    public static bool Configured { get; private set; }

#pragma warning disable CA2255 // Deliberate: the thresholds must be in place before any tensor is allocated.
    [ModuleInitializer]
    internal static void ConfigureOnLoad() => Configure();
#pragma warning restore CA2255

    /// <summary>Applies the thresholds (idempotent; a no-op off glibc).</summary>
    public static void Configure()
    {
        // WEBLAB_DEFAULT_MALLOC=1 keeps glibc's defaults: only for benchmarks that measure the difference.
        if (Configured || !OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("WEBLAB_DEFAULT_MALLOC") == "1")
            return;
        try
        {
            Configured = mallopt(MMmapThreshold, MmapThreshold) == 1 & mallopt(MTrimThreshold, TrimThreshold) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl or another libc: nothing to tune.
        }
    }

    /// <summary>
    /// Bytes of native heap in use right now (glibc's mallinfo2: allocated chunks plus mmap'd blocks, all arenas),
    /// or null off glibc. Unlike RSS it does not count freed memory the allocator keeps, so leaks show exactly.
    /// </summary>
    public static long? InUseBytes()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        try
        {
            var info = mallinfo2();
            return (long)(info.Uordblks + info.Hblkhd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallInfo2 mallinfo2();

    /// <summary>
    /// Returns the free memory glibc keeps (every arena) to the kernel: for the end of a burst that allocated on many
    /// threads and will not again (decoding a dataset), since the raised trim threshold otherwise keeps it resident.
    /// </summary>
    public static void Trim()
    {
        if (!Configured)
            return;
        try
        {
            _ = malloc_trim(0); // 1 when memory was released, 0 when there was none to release: both fine
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc after all: nothing kept to return.
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int malloc_trim(nuint pad);

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);
}
