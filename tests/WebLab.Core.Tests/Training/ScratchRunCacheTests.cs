using System.Security.Cryptography;
using TorchSharp;
using WebLab.Data;
using WebLab.Data.Tiles;
using WebLab.Models;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Training;

/// <summary>The scratch-run cache's parts without training: the folder's files, and what the content key sees.</summary>
[Collection(FashionMnistGroup.Name)]
public sealed class ScratchRunCacheTests(FashionMnist fashion) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static SeedRun Run(int seed = 0, double accuracy = 0.75) => new(seed, accuracy, 0.6, 0.7, 2,
        [new EpochMetrics(1, 4, 1.1, new Dictionary<string, double> { ["ce"] = 1.1 }, 0.5, double.NaN, 0.6, 0.1, 0.25)],
        [0.5, 1.0], [[1, 1], [0, 2]], new Dictionary<string, string[]> { ["0->1"] = ["test#3"] }, 12.5, 80, 0.1, false, false);

    private const string Key = "00ff";

    [Fact]
    public void Folder_ReturnsWhatWasPut_AndMissesWhatWasNot()
    {
        var cache = new FolderScratchRunCache(_dir.File("runs"));
        Assert.Null(cache.TryGet(Key));
        cache.Put(Key, Run());
        var back = cache.TryGet(Key)!;
        Assert.Equal(0.75, back.TestAccuracy);
        Assert.True(double.IsNaN(back.Curve[0].ValLoss));
        Assert.Equal(["test#3"], back.ConfusionCells["0->1"]);
        Assert.Null(cache.TryGet("00fe"));
        Assert.Throws<ArgumentException>(() => cache.TryGet("../x"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{ not json")]
    [InlineData("null")]
    [InlineData("{\"key\":\"00ff\"}")]
    [InlineData("{\"key\":\"00ff\",\"run\":{\"seed\":0}}")]
    [InlineData("{\"key\":\"00ff\",\"run\":null}")]
    public void Folder_UnreadableFiles_AreMisses_AndPutReplacesThem(string content)
    {
        var cache = new FolderScratchRunCache(_dir.Path);
        File.WriteAllText(Path.Combine(_dir.Path, Key + ".json"), content);
        Assert.Null(cache.TryGet(Key));
        cache.Put(Key, Run());
        Assert.NotNull(cache.TryGet(Key));
    }

    [Fact]
    public void Folder_AFileUnderAnotherKeysName_IsAMiss()
    {
        var cache = new FolderScratchRunCache(_dir.Path);
        cache.Put(Key, Run());
        File.Copy(Path.Combine(_dir.Path, Key + ".json"), Path.Combine(_dir.Path, "abcd.json"));
        Assert.Null(cache.TryGet("abcd"));
    }

    [Fact]
    public void Memory_And_None()
    {
        var memory = new MemoryScratchRunCache();
        memory.Put(Key, Run());
        Assert.Same(memory.TryGet(Key), memory.TryGet(Key));
        NoScratchRunCache.Instance.Put(Key, Run());
        Assert.Null(NoScratchRunCache.Instance.TryGet(Key));
    }

    private static string KeyOf(LoadedDataset dataset, int seed = 0, TrainerSettings? settings = null, SplitOptions? split = null,
        double learningRate = 0.1, Augmentation? augment = null)
    {
        using var splits = Splits.Make(dataset, split ?? new SplitOptions(PerClass: 3, Seed: seed, HoldoutSeed: 0));
        var plan = new[] { new BlockPlan("stem", false, false, learningRate, "l2", 5e-4) };
        var transform = new ImageTransform(16, 3, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f], augment ?? Augmentation.Off);
        return ScratchRunKey.Of(splits, new ModelSpec("resnet8", splits.ClassNames.Count, 3, 16), plan,
            (settings ?? new TrainerSettings()) with { Seed = seed }, transform, torch.CPU);
    }

    [Fact]
    public void Key_MissesForOtherImagesPerClass_Seeds_Classes_RatesOrAugmentation()
    {
        var dataset = fashion.Dataset;
        // As an experiment splits: the training subsample follows the seed, test and validation the first seed.
        SplitOptions Split(string[] classes, int perClass, int seed, int firstSeed = 0) =>
            new(dataset.ResolveClasses(classes), perClass, Seed: seed, HoldoutSeed: firstSeed);
        var key = KeyOf(dataset, split: Split(["Sandal", "Bag"], 5, 0));
        Assert.Equal(key, KeyOf(dataset, split: Split(["Sandal", "Bag"], 5, 0)));
        Assert.NotEqual(key, KeyOf(dataset, split: Split(["Sandal", "Bag"], 6, 0)));
        Assert.NotEqual(key, KeyOf(dataset, seed: 1, split: Split(["Sandal", "Bag"], 5, 1)));
        Assert.NotEqual(key, KeyOf(dataset, split: Split(["Sandal", "Bag"], 5, 0, firstSeed: 1)));
        Assert.NotEqual(key, KeyOf(dataset, split: Split(["Sandal", "Shirt"], 5, 0)));
        Assert.NotEqual(key, KeyOf(dataset, split: Split(["Bag", "Sandal"], 5, 0)));
        Assert.NotEqual(key, KeyOf(dataset, split: Split(["Sandal", "Bag"], 5, 0), learningRate: 0.05));
        Assert.NotEqual(key, KeyOf(dataset, split: Split(["Sandal", "Bag"], 5, 0), augment: Augmentation.For(16, flip: true)));
    }

    private LoadedDataset Load(string folder) =>
        DatasetLoader.Load(folder, new DatasetLoadOptions(ImageSize: 16, Files: new DatasetFileOptions(AllowDownload: false, TileCacheDirectory: _dir.File("tiles"))));

    [Fact]
    public void Key_FollowsTheImages_NotTheFolderTheyAreIn()
    {
        var original = _dir.File("shapes");
        TestFiles.ClassFolders(original, ["a", "b"], 8);
        string key;
        using (var dataset = Load(original))
        {
            key = KeyOf(dataset);
            Assert.Equal(key, KeyOf(dataset));
            Assert.NotEqual(key, KeyOf(dataset, seed: 1));
            Assert.NotEqual(key, KeyOf(dataset, settings: new TrainerSettings(BatchSize: 32)));
            Assert.Equal(key, KeyOf(dataset, settings: new TrainerSettings(BssK: 4))); // BSS is off: its k changes nothing
        }

        var renamed = _dir.File("renamed");
        Directory.Move(original, renamed);
        using (var dataset = Load(renamed))
            Assert.Equal(key, KeyOf(dataset));

        foreach (var file in Directory.GetFiles(renamed, "*.png", SearchOption.AllDirectories))
            File.WriteAllBytes(file, TestFiles.Image(20, 20, seed: 4242)); // every file, so the edit is in whichever split
        using (var dataset = Load(renamed))
            Assert.NotEqual(key, KeyOf(dataset));
    }

    [Fact]
    public void ImageContent_OfResizedTiles_CoversTheOriginalsAndTheSize()
    {
        static string Hash(TileStore store)
        {
            using var images = new LabeledImages(store, [0, 1], [0, 1], ["a", "b"], ["x", "y"]);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            images.AppendContent(hash, ids: true);
            return Convert.ToHexString(hash.GetHashAndReset());
        }
        static torch.Tensor Tiles(byte corner) =>
            torch.tensor(Enumerable.Range(0, 2 * 28 * 28).Select(i => i == 0 ? corner : (byte)(i % 251)).ToArray(), [2, 1, 28, 28], torch.ScalarType.Byte);

        var at32 = Hash(new ResizedTiles(new TensorTiles(Tiles(0)), 32));
        Assert.Equal(at32, Hash(new ResizedTiles(new TensorTiles(Tiles(0)), 32)));
        Assert.NotEqual(at32, Hash(new ResizedTiles(new TensorTiles(Tiles(0)), 40)));
        Assert.NotEqual(at32, Hash(new ResizedTiles(new TensorTiles(Tiles(1)), 32)));
        Assert.NotEqual(Hash(new TensorTiles(Tiles(0))), Hash(new TensorTiles(Tiles(1))));
    }
}
