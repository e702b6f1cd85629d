using TorchSharp;
using WebLab.Data;
using WebLab.Models;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Training;

/// <summary>
/// Native-memory checks read the process-wide malloc statistics, so they run alone: tests running beside them
/// would allocate and free native memory of their own and blur the measurement.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeMemoryGroup : ICollectionFixture<FashionMnist>
{
    public const string Name = "native-memory";
}

[Collection(NativeMemoryGroup.Name)]
public class NativeMemoryTests(FashionMnist fashion)
{
    private static readonly DatasetFileOptions s_local = new(AllowDownload: false);

    private ExperimentSpec Small(int perClass, int seeds, int epochs) => new(
        "fashion-mnist", fashion.Source, ["Sandal", "Sneaker", "Bag"], perClass,
        new TransferDials(Epochs: epochs, BatchSize: 16), Seeds: seeds, Device: "cpu", Probe: false);

    [Fact]
    public void ThirtyExperimentsBackToBack_KeepNativeMemoryFlat()
    {
        var spec = Small(perClass: 5, seeds: 1, epochs: 1) with { TargetClasses = ["Sandal", "Bag"] };
        // Native memory in use swings by several MiB from one experiment to the next (allocator and library caches;
        // measured here: 70-81 MiB with no trend over 65 experiments), so compare the lowest reading of a window of five
        // experiments after a warm-up with that of a window twenty experiments later: a leak raises the floor.
        long Floor(int first) => Enumerable.Range(first, 5).Min(seed =>
        {
            Experiment.Run(spec with { FirstSeed = seed }, files: s_local);
            return NativeInUse();
        });
        for (int i = 0; i < 5; i++)
            Experiment.Run(spec with { FirstSeed = i }, files: s_local);
        long early = Floor(5);
        for (int i = 10; i < 25; i++)
            Experiment.Run(spec with { FirstSeed = i }, files: s_local);
        long late = Floor(25);
        // Each experiment builds, trains and disposes two models and a source; a leak of one model each would be ~12 MiB
        // over the twenty experiments between the windows.
        Assert.True(late - early < 4 << 20, $"native heap in use grew {(late - early) / 1024} KiB over 20 experiments");
    }

    [Fact]
    public void BuildingAndDisposingModels_FreesTheirWeights()
    {
        static void BuildTrainDispose()
        {
            using var scope = torch.NewDisposeScope();
            using var model = Architectures.Create(new ModelSpec("resnet18", 10, 3, 64));
            model.train();
            model.call(torch.randn(2, 3, 64, 64)).sum().backward();
        }
        // The first pass fills oneDNN's primitive cache; that is a one-off, not a leak.
        BuildTrainDispose();
        long before = NativeInUse();
        for (int i = 0; i < 10; i++)
            BuildTrainDispose();
        // Ten ResNet-18s hold ~450 MB of weights; none may survive disposal.
        Assert.True(NativeInUse() - before < 8 << 20, $"native heap in use grew {(NativeInUse() - before) >> 20} MiB");
    }

    private static long NativeInUse()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Runtime.NativeAllocator.InUseBytes() ?? throw new InvalidOperationException("mallinfo2 is not available");
    }
}
