using System.Formats.Tar;
using System.IO.Compression;
using WebLab.Data;

namespace WebLab.Tests.Data;

public class CifarTests
{
    /// <summary>A CIFAR-10-shaped binary archive written by the test (the real one is downloaded on first use).</summary>
    private static string Archive(TempDir dir, int perBatch, bool hundred)
    {
        var path = dir.File(hundred ? "cifar-100-binary.tar.gz" : "cifar-10-binary.tar.gz");
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip);
        void Add(string name, byte[] data)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) };
            tar.WriteEntry(entry);
        }
        int labelBytes = hundred ? 2 : 1, record = labelBytes + 3072;
        byte[] Batch(int offset)
        {
            var bytes = new byte[perBatch * record];
            for (int i = 0; i < perBatch; i++)
            {
                bytes[i * record + labelBytes - 1] = (byte)((i + offset) % 10);
                bytes[i * record + labelBytes] = (byte)(i + offset); // first red pixel encodes the index
            }
            return bytes;
        }
        var folder = hundred ? "cifar-100-binary/" : "cifar-10-batches-bin/";
        if (hundred)
        {
            Add(folder + "train.bin", Batch(0));
        }
        else
        {
            Add(folder + "data_batch_1.bin", Batch(0));
            Add(folder + "data_batch_2.bin", Batch(100));
        }
        Add(folder + (hundred ? "test.bin" : "test_batch.bin"), Batch(200));
        return path;
    }

    [Fact]
    public void Load_ReadsRecordsFromTheTarGz_WithLabelsAndPixels()
    {
        using var dir = new TempDir();
        var entry = DatasetCatalog.BuiltIn.Find("cifar-10")!;
        using var data = Cifar.Load(entry, Archive(dir, 8, hundred: false), DatasetLoadOptions.Default);
        Assert.Equal(16, data.Train.Count);
        Assert.Equal(8, data.Test!.Count);
        Assert.Equal([3, 32, 32], (long[])[data.Train.Channels, data.Train.Size, data.Train.Size]);
        Assert.Equal(3, data.Train.Labels[3]);
        Assert.Equal(100 + 5, data.Train.Read([8 + 5])[0, 0, 0, 0].item<byte>());
        Assert.Equal("airplane", data.ClassNames[0]);
    }

    [Fact]
    public void Load_Cifar100_UsesTheFineLabel()
    {
        using var dir = new TempDir();
        var entry = DatasetCatalog.BuiltIn.Find("cifar-100")!;
        using var data = Cifar.Load(entry, Archive(dir, 12, hundred: true), DatasetLoadOptions.Default);
        Assert.Equal(7, data.Train.Labels[7]);
        Assert.Equal(100, data.ClassNames.Count);
    }
}
