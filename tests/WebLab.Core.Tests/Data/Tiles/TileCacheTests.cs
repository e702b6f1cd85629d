using WebLab.Data;
using WebLab.Data.Tiles;

namespace WebLab.Tests.Data.Tiles;

public class TileCacheTests
{
    private static DatasetLoadOptions Options(TempDir cache, bool strict = false) =>
        new(ImageSize: 16, Strict: strict, Files: new DatasetFileOptions(AllowDownload: false, TileCacheDirectory: cache.Path));

    private static byte[] Pixels(LabeledImages images)
    {
        using var tiles = images.ReadRange(0, images.Count);
        return tiles.data<byte>().ToArray();
    }

    private static string[] Entries(TempDir cache) =>
        [.. Directory.GetDirectories(cache.Path).Select(Path.GetFileName).Cast<string>()];

    [Fact]
    public void SecondLoad_ReadsTheCachedTiles_InsteadOfDecoding()
    {
        using var data = new TempDir();
        using var cache = new TempDir();
        TestFiles.ClassFolders(data.Path, ["cat", "dog"], perClass: 3, size: 20);
        byte[] first;
        using (var loaded = DatasetLoader.Load(data.Path, Options(cache)))
            first = Pixels(loaded.Train);
        var entry = Assert.Single(Entries(cache));
        Assert.EndsWith("-16", entry);

        // Mark the cached file: a load that decoded again would not see the mark.
        var tiles = Path.Combine(cache.Path, entry, "tiles.bin");
        var bytes = File.ReadAllBytes(tiles);
        bytes[0] ^= 0xff;
        File.WriteAllBytes(tiles, bytes);
        using var again = DatasetLoader.Load(data.Path, Options(cache));
        var second = Pixels(again.Train);
        Assert.Equal(first[0] ^ 0xff, second[0]);
        Assert.Equal(first[1..], second[1..]);
    }

    [Fact]
    public void ChangedFile_IsANewEntry_AndOtherSizesAreSeparate()
    {
        using var data = new TempDir();
        using var cache = new TempDir();
        TestFiles.ClassFolders(data.Path, ["cat", "dog"], perClass: 3, size: 20);
        byte[] before;
        using (var loaded = DatasetLoader.Load(data.Path, Options(cache)))
            before = Pixels(loaded.Train);
        File.WriteAllBytes(Path.Combine(data.Path, "cat", "img0.png"), TestFiles.Image(20, 20, seed: 99));
        using (var loaded = DatasetLoader.Load(data.Path, Options(cache)))
            Assert.NotEqual(before, Pixels(loaded.Train));
        using (var loaded = DatasetLoader.Load(data.Path, Options(cache) with { ImageSize = 8 }))
            Assert.Equal(8, loaded.Train.Size);
        Assert.Equal(3, Entries(cache).Length);
    }

    [Fact]
    public async Task LoadsThatRace_DecodeOnce_AndAgree()
    {
        using var data = new TempDir();
        using var cache = new TempDir();
        TestFiles.ClassFolders(data.Path, ["cat", "dog", "emu"], perClass: 40, size: 48);
        var loads = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            using var loaded = DatasetLoader.Load(data.Path, Options(cache));
            return Pixels(loaded.Train);
        })).ToArray();
        var results = await Task.WhenAll(loads);
        Assert.All(results, r => Assert.Equal(results[0], r));
        Assert.Single(Entries(cache));
        Assert.Empty(Directory.GetDirectories(cache.Path, "*.building"));
    }

    [Fact]
    public void DamagedEntry_IsRebuilt()
    {
        using var data = new TempDir();
        using var cache = new TempDir();
        TestFiles.ClassFolders(data.Path, ["cat", "dog"], perClass: 3, size: 20);
        byte[] good;
        using (var loaded = DatasetLoader.Load(data.Path, Options(cache)))
            good = Pixels(loaded.Train);
        var tiles = Path.Combine(cache.Path, Assert.Single(Entries(cache)), "tiles.bin");
        File.WriteAllBytes(tiles, File.ReadAllBytes(tiles)[..100]);
        using var rebuilt = DatasetLoader.Load(data.Path, Options(cache));
        Assert.Equal(good, Pixels(rebuilt.Train));
    }

    [Fact]
    public void StrictLoad_OfACachedSetWithSkippedFiles_FailsLikeAFreshOne()
    {
        using var data = new TempDir();
        using var cache = new TempDir();
        TestFiles.ClassFolders(data.Path, ["cat", "dog"], perClass: 3, size: 20);
        File.WriteAllBytes(Path.Combine(data.Path, "dog", "broken.png"), [1, 2, 3]);
        using (var lenient = DatasetLoader.Load(data.Path, Options(cache)))
            Assert.Equal("dog/broken.png", Assert.Single(lenient.Problems).Path);
        var error = Assert.Throws<BadInputException>(() => DatasetLoader.Load(data.Path, Options(cache, strict: true)));
        Assert.Contains("dog/broken.png", error.Message);
    }

    [Fact]
    public void Views_ShareTheStore_AndOutliveTheDataset()
    {
        using var data = new TempDir();
        using var cache = new TempDir();
        TestFiles.ClassFolders(data.Path, ["cat", "dog", "emu"], perClass: 4, size: 20);
        var loaded = DatasetLoader.Load(data.Path, Options(cache));
        var all = Pixels(loaded.Train);
        using var dogs = loaded.Train.SelectClasses([1]);
        using var some = loaded.Train.Select([5, 0]);
        loaded.Dispose();
        int tile = 3 * 16 * 16;
        Assert.Equal(all.AsSpan(5 * tile, tile).ToArray(), Pixels(some)[..tile]);
        Assert.Equal(4, dogs.Count);
        Assert.All(dogs.ItemIds, id => Assert.StartsWith("dog/", id));
    }

    [Fact]
    public void RemoveUnused_DeletesOnlyEntriesIdleSinceTheCutoff()
    {
        using var data = new TempDir();
        using var cache = new TempDir();
        TestFiles.ClassFolders(data.Path, ["cat", "dog"], perClass: 3, size: 20);
        using (DatasetLoader.Load(data.Path, Options(cache)))
        using (DatasetLoader.Load(data.Path, Options(cache) with { ImageSize = 8 }))
        {
        }
        var old = Path.Combine(cache.Path, Entries(cache).Single(e => e.EndsWith("-8", StringComparison.Ordinal)));
        Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-30));
        long size = Directory.GetFiles(old).Sum(f => new FileInfo(f).Length);
        Assert.True(size > 6 * 8 * 8, $"6 grey or colour 8 px tiles and an index; found {size} bytes");
        Assert.Equal(size, new TileCache(cache.Path).RemoveUnused(DateTimeOffset.UtcNow.AddDays(-14)));
        Assert.False(Directory.Exists(old));
        Assert.EndsWith("-16", Assert.Single(Entries(cache)));
    }
}
