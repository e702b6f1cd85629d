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
    public void TwentyExperimentsBackToBack_KeepNativeMemoryFlat()
    {
        var spec = Small(perClass: 5, seeds: 1, epochs: 1) with { TargetClasses = ["Sandal", "Bag"] };
        for (int i = 0; i < 5; i++)
            Experiment.Run(spec with { FirstSeed = i }, files: s_local);
        long after5 = NativeInUse();
        for (int i = 5; i < 20; i++)
            Experiment.Run(spec with { FirstSeed = i }, files: s_local);
        long after20 = NativeInUse();
        // Each experiment builds, trains and disposes two models and a source; a leak of one model each would be ~9 MiB.
        Assert.True(after20 - after5 < 4 << 20, $"native heap in use grew {(after20 - after5) / 1024} KiB over 15 experiments");
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
