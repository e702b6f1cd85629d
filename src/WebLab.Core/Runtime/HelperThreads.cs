using System.Runtime.InteropServices;
using TorchSharp;

namespace WebLab.Runtime;

/// <summary>
/// Keeps libtorch work on helper threads (the batch loader's producer) single-threaded.
/// </summary>
/// <remarks>
/// libtorch's CPU build parallelises with GNU OpenMP, and every thread that runs a parallel operator gets its own
/// OpenMP team. A loader thread converting and augmenting a batch therefore starts a second team beside the trainer's.
/// Once libgomp manages more threads than there are CPUs, it makes every team's idle workers sleep after only a
/// short spin (its throttled spin count), so the trainer's team pays a futex wake-up at each of the few hundred
/// parallel operators of a step. Measured here (2 cores, ResNet-18 at 64 px, batch 32): the trainer 8-30 % slower
/// than the same loop on pre-made batches, varying from run to run. The loader's work is small next to a training
/// step; run serially it starts no team and the trainer's threads keep spinning between operators as in a plain
/// PyTorch loop. omp_set_num_threads only sets the calling thread's value, so the trainer's threads keep theirs.
/// </remarks>
public static unsafe class HelperThreads
{
    private static readonly delegate* unmanaged<int, void> s_ompSetNumThreads = FindOmpSetNumThreads();

    /// <summary>True where libtorch's OpenMP runtime was found (so <see cref="RunSerially"/> takes effect).</summary>
    public static bool Available => s_ompSetNumThreads != null;

    /// <summary>
    /// Makes libtorch operators called from the current thread run on this thread alone. Call it at the start of a helper
    /// thread, before its first tensor operation. A no-op where libtorch does not use GNU OpenMP.
    /// </summary>
    public static void RunSerially()
    {
        if (s_ompSetNumThreads == null)
            return;
        // libtorch applies its global thread count to a thread the first time it asks for it (lazily, once per thread);
        // ask first so that initialisation does not undo the setting below.
        _ = torch.get_num_threads();
        s_ompSetNumThreads(1);
    }

    private static delegate* unmanaged<int, void> FindOmpSetNumThreads()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/maps"))
            return null;
        try
        {
            TorchRuntime.Initialize();
            // libtorch links its own copy of libgomp (a hashed file name next to libtorch_cpu.so): use the one that is loaded.
            var path = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).StartsWith("libgomp", StringComparison.Ordinal))
                .Select(fields => fields[5])
                .FirstOrDefault();
            if (path is null || !NativeLibrary.TryLoad(path, out var handle) || !NativeLibrary.TryGetExport(handle, "omp_set_num_threads", out var export))
                return null;
            return (delegate* unmanaged<int, void>)export;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
