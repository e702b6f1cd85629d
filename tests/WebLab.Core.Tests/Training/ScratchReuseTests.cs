using WebLab.Data;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Training;

/// <summary>Reusing the random-initialisation arm by content key: within a sweep, and across experiments through a folder.</summary>
[Collection(FashionMnistGroup.Name)]
public sealed class ScratchReuseTests(FashionMnist fashion) : IDisposable
{
    private static readonly DatasetFileOptions s_local = new(AllowDownload: false);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // Two classes, 5 images each: the 2,000 test images are most of the cost.
    private ExperimentSpec Small(int seeds = 1, int epochs = 1, ScratchRecipe recipe = ScratchRecipe.Inherit) => new(
        "fashion-mnist", fashion.Source, ["Sandal", "Bag"], 5, new TransferDials(Epochs: epochs, BatchSize: 8),
        new ScratchDials(Recipe: recipe), Seeds: seeds, Device: "cpu", Probe: false);

    private static (SweepResult Result, List<SweepProgress> Events) Sweep(ExperimentSpec spec, string setting, params string[] values)
    {
        var events = new List<SweepProgress>();
        var result = Sweeps.Run(new SweepSpec(spec, [new SweepAxis(setting, values)]), new InlineProgress<SweepProgress>(events.Add), files: s_local);
        return (result, events);
    }

    private static IEnumerable<SeedRun> ScratchRuns(ExperimentResult result) => result.ScratchArm.Runs;

    [Fact]
    public void Sweep_OverATransferOnlyDial_TrainsEachSeedsScratchRunOnce_AndEveryPointReportsIt()
    {
        var (result, events) = Sweep(Small(seeds: 2, epochs: 2), "l2spAlpha", "0", "0.01");

        Assert.All(ScratchRuns(result.Points[0].Result), r => Assert.False(r.Reused));
        Assert.All(ScratchRuns(result.Points[1].Result), r => Assert.True(r.Reused));
        Assert.Equal(result.Points[0].Result.ScratchArm.TestAccuracy.PerSeed, result.Points[1].Result.ScratchArm.TestAccuracy.PerSeed);
        Assert.Equal(result.Points[0].ScratchAccuracy, result.Points[1].ScratchAccuracy);
        Assert.Equal(ScratchRuns(result.Points[0].Result).Sum(r => r.Seconds), result.Points[1].Result.SecondsSaved, 9);
        // The transfer arm differs between the points, so it trained at both.
        Assert.All(result.Points.SelectMany(p => p.Result.TransferArm.Runs), r => Assert.False(r.Reused));

        // The live contract: every point still reports both arms of every seed, the reused ones flagged, with their curves.
        foreach (var point in new[] { 0, 1 })
        {
            var finished = events.Where(e => e.Point == point).Select(e => e.Event).OfType<RunFinished>().ToList();
            Assert.Equal(["transfer", "scratch", "transfer", "scratch"], finished.Select(r => r.Arm));
            Assert.Equal(point == 1 ? [false, true, false, true] : [false, false, false, false], finished.Select(r => r.Reused));
            var scratchEpochs = events.Where(e => e.Point == point).Select(e => e.Event).OfType<TrainingUpdate>()
                .Where(u => u.Progress is { Arm: Experiment.ScratchArm, EpochEnd: true }).ToList();
            Assert.Equal(4, scratchEpochs.Count); // 2 seeds x 2 epochs, trained or replayed
            Assert.All(scratchEpochs, u => Assert.Equal(point == 1 ? "reused" : "fine-tune", u.Progress.Stage));
            var fractions = events.Where(e => e.Point == point).Select(e => e.Event).OfType<TrainingUpdate>().Select(u => u.OverallFraction).ToList();
            Assert.Equal(fractions.Order(), fractions);
            Assert.InRange(fractions[^1], 0.99, 1.0); // the reused runs' steps are not in the total
        }
        Assert.DoesNotContain(events.Where(e => e.Point == 1).Select(e => e.Event).OfType<TrainingUpdate>(),
            u => u.Progress is { Arm: Experiment.ScratchArm, Stage: "fine-tune" });
    }

    // The scratch arm inherits the transfer arm's batch size, unless it has a recipe of its own (the learning rate and the
    // other scratch dials are covered by the key's tests).
    [Theory]
    [InlineData(ScratchRecipe.Inherit, false)]
    [InlineData(ScratchRecipe.Standard, true)]
    public void Sweep_OverTheBatchSize_ReusesTheScratchRun_OnlyWhenItsRecipeIgnoresIt(ScratchRecipe recipe, bool reused)
    {
        var (result, _) = Sweep(Small(recipe: recipe), "batchSize", "4", "8");

        Assert.False(Assert.Single(ScratchRuns(result.Points[0].Result)).Reused);
        Assert.Equal(reused, Assert.Single(ScratchRuns(result.Points[1].Result)).Reused);
    }

    [Fact]
    public void Experiments_SharingACacheFolder_ReuseTheScratchRun_AndNoPathReachesTheResult()
    {
        var cache = new FolderScratchRunCache(_dir.File("scratch-runs"));
        var first = Experiment.Run(Small(), files: s_local, scratchRuns: cache);
        var events = new List<ExperimentEvent>();
        var second = Experiment.Run(Small() with { Transfer = new TransferDials(Epochs: 1, BatchSize: 8, L2SPAlpha: 0.01) },
            new InlineProgress<ExperimentEvent>(events.Add), files: s_local, scratchRuns: cache);

        var trained = Assert.Single(ScratchRuns(first));
        var reused = Assert.Single(ScratchRuns(second));
        Assert.False(trained.Reused);
        Assert.True(reused.Reused);
        Assert.Equal(trained with { Reused = true }, reused, new SeedRunComparer());
        Assert.Equal(trained.Seconds, second.SecondsSaved);
        Assert.Single(Directory.GetFiles(cache.Root, "*.json"));
        Assert.True(Assert.Single(events.OfType<RunFinished>(), r => r.Arm == Experiment.ScratchArm).Reused);

        var json = WebLabJson.Serialize(second);
        Assert.DoesNotContain(_dir.Path, json, StringComparison.Ordinal);
        Assert.Contains("\"reused\": true", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"reused\"", WebLabJson.Serialize(first), StringComparison.Ordinal);

        // The same images labelled the other way round are another run (other images, seeds and classes: the key's tests).
        var swapped = Experiment.Run(Small() with { TargetClasses = ["Bag", "Sandal"] }, files: s_local, scratchRuns: cache);
        Assert.False(Assert.Single(ScratchRuns(swapped)).Reused);
        Assert.Equal(2, Directory.GetFiles(cache.Root, "*.json").Length);
    }

    [Fact]
    public void ACorruptCacheFile_IsAMiss_AndTheNextRunReplacesIt()
    {
        var cache = new FolderScratchRunCache(_dir.File("scratch-runs"));
        Experiment.Run(Small(), files: s_local, scratchRuns: cache);
        var file = Assert.Single(Directory.GetFiles(cache.Root, "*.json"));
        File.WriteAllText(file, File.ReadAllText(file)[..40]);

        var again = Experiment.Run(Small(), files: s_local, scratchRuns: cache);

        Assert.False(Assert.Single(ScratchRuns(again)).Reused);
        Assert.NotNull(cache.TryGet(Path.GetFileNameWithoutExtension(file)));
        Assert.Empty(Directory.GetFiles(cache.Root, "*.tmp"));
    }

    /// <summary>Records holding arrays compare by reference; a run read back from JSON is equal when its values are.</summary>
    private sealed class SeedRunComparer : IEqualityComparer<SeedRun>
    {
        public bool Equals(SeedRun? x, SeedRun? y) =>
            x is not null && y is not null && WebLabJson.Serialize(x) == WebLabJson.Serialize(y);

        public int GetHashCode(SeedRun obj) => obj.Seed;
    }
}
