using TorchSharp;
using WebLab.Data;
using WebLab.Data.Tiles;

namespace WebLab.Tests.Data.Tiles;

public class TileStoreTests
{
    [Fact]
    public void TileFile_ReadsSlotsInAnyOrder_AndScratchFilesVanish()
    {
        string path;
        using (var file = TileFile.CreateScratch(count: 5, channels: 2, size: 3))
        {
            var bytes = Enumerable.Range(0, 5 * 18).Select(i => (byte)i).ToArray();
            file.Write(0, bytes.AsSpan(0, 2 * 18));
            file.Write(2, bytes.AsSpan(2 * 18));
            using var read = file.Read([4, 0, 1]);
            Assert.Equal([3L, 2, 3, 3], read.shape);
            Assert.Equal(bytes[(4 * 18)..].Concat(bytes[..36]).ToArray(), read.data<byte>().ToArray());
            Assert.Throws<ArgumentOutOfRangeException>(() => file.Read([5]));
            path = Directory.GetFiles(Path.GetTempPath(), "weblab-tiles-*.bin").Single(f => new FileInfo(f).Length == 5 * 18);
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void ResizedTiles_ResizeEachBatch_FromTheNativeSize()
    {
        // A 4x4 tile, left half 0 and right half 200: resized to 8 px it keeps the halves.
        var pixels = new byte[16];
        for (int i = 0; i < 16; i++)
            pixels[i] = (byte)(i % 4 < 2 ? 0 : 200);
        using var store = new ResizedTiles(new TensorTiles(torch.tensor(pixels, [1, 1, 4, 4], torch.ScalarType.Byte)), 8);
        using var tile = store.Read([0]);
        Assert.Equal([1L, 1, 8, 8], tile.shape);
        Assert.Equal(0, tile[0, 0, 3, 0].item<byte>());
        Assert.Equal(200, tile[0, 0, 3, 7].item<byte>());
    }

    [Fact]
    public void ArrayDatasets_AtLargeTileSizes_StayNativeInMemory()
    {
        // Fashion-MNIST's 70,000 images at 224 px would be 3.5 GB as one array; here they stay 28 px until read.
        using var data = DatasetLoader.Load("fashion-mnist", new DatasetLoadOptions(224, Files: new DatasetFileOptions(AllowDownload: false)));
        Assert.Equal(224, data.Train.Size);
        using var batch = data.Train.Read([0, 59_999]);
        Assert.Equal([2L, 1, 224, 224], batch.shape);
        Assert.True(batch.to(torch.ScalarType.Float32).mean().item<float>() > 1);
    }
}
