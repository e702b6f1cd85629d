using WebLab.Runtime;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Cli.Bench;

/// <summary>
/// Many small experiments back to back in this one process, as a long-lived worker runs them: resident set, managed
/// heap and glibc's native heap in use after experiment 1, 10 and the last; growth past the warm-up beyond the stated
/// tolerance fails the benchmark (a leak).
/// </summary>
internal static class MemoryBench
{
    /// <summary>Allowed growth from experiment 10 to the last (MiB): RSS, managed heap, native heap in use.</summary>
    public const double RssTolerance = 64, ManagedTolerance = 16, NativeTolerance = 16;

    public static int Run(BenchOptions options, string work, int experiments, bool noInstall)
    {
        Directory.CreateDirectory(work);
        var source = Path.Combine(work, "tiny-source-fmnist-0-4-resnet8.weblab");
        if (!File.Exists(source))
        {
            Console.Error.WriteLine($"  pretraining a tiny source into {source} (Fashion-MNIST 0-4, 100 per class, 1 epoch)");
            Pretrainer.Run(new PretrainSpec("fashion-mnist", Demo.SourceClasses, "resnet8", source, Epochs: 1, PerClass: 100, Device: "cpu"),
                files: Cli.Files(noInstall));
        }
        var spec = new ExperimentSpec("fashion-mnist", source, Demo.TargetClasses, PerClass: 10, Transfer: new TransferDials(Epochs: 2),
            Seeds: 1, Device: "cpu");
        var checkpoints = new SortedSet<int> { 1, Math.Min(10, experiments), experiments };
        var samples = new List<(int After, double Rss, double Managed, double? Native)>();
        for (int i = 1; i <= experiments; i++)
        {
            Experiment.Run(spec with { FirstSeed = i }, files: Cli.Files(noInstall));
            if (checkpoints.Contains(i))
            {
                var sample = Sample(i);
                samples.Add(sample);
                Console.Error.WriteLine($"  after {i,3} experiments: RSS {sample.Rss:F0} MiB, managed heap {sample.Managed:F1} MiB, " +
                    $"native in use {sample.Native:F1} MiB");
            }
        }
        var warm = samples.First(s => s.After == Math.Min(10, experiments));
        var last = samples[^1];
        double rssGrowth = last.Rss - warm.Rss, managedGrowth = last.Managed - warm.Managed;
        double? nativeGrowth = last.Native - warm.Native;
        bool flat = rssGrowth <= RssTolerance && managedGrowth <= ManagedTolerance && (nativeGrowth ?? 0) <= NativeTolerance;

        var file = new ResultsFile($"Memory: {experiments} experiments back to back in one process", options.Command)
            .Columns("after experiment", "RSS (MiB)", "managed heap (MiB)", "native heap in use (MiB)");
        foreach (var s in samples)
            file.Row($"{s.After}", $"{s.Rss:F0}", $"{s.Managed:F1}", s.Native is { } n ? $"{n:F1}" : "n/a");
        file.Row($"growth {warm.After} -> {last.After}", $"**{SignedNumber.Format(rssGrowth, 0)}** (<= {RssTolerance})", $"**{SignedNumber.Format(managedGrowth, 1)}** (<= {ManagedTolerance})",
            nativeGrowth is { } g ? $"**{SignedNumber.Format(g, 1)}** (<= {NativeTolerance})" : "n/a");
        file.Note($"Verdict: {(flat ? "flat (within tolerance)" : "GROWTH beyond tolerance: a leak")}.");
        file.Note("Each experiment: Fashion-MNIST 5-9 from a tiny resnet8 source (0-4), 10 images per class, 1 seed, both arms, 2 epochs, " +
            "probe and head-first stage: the whole Experiment.Run path (dataset load, splits, models built and disposed, checkpoint load).");
        file.Note("Sampled after a full GC. Native heap in use is glibc's mallinfo2 (allocated chunks + mmap'd blocks), which, unlike RSS, " +
            "does not count freed memory the allocator keeps. Experiments 1-10 are warm-up (caches, oneDNN primitives, JIT).");
        file.Save(options.Results, "memory.md");
        return flat ? 0 : 4;
    }

    private static (int After, double Rss, double Managed, double? Native) Sample(int after)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        const double mib = 1024 * 1024;
        return (after, ResidentBytes() / mib, GC.GetTotalMemory(forceFullCollection: true) / mib, NativeAllocator.InUseBytes() / mib);
    }

    private static long ResidentBytes()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return long.TryParse(kb, out var value) ? value * 1024 : Environment.WorkingSet;
    }

}
