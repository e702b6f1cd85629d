using System.IO.Compression;
using WebLab.Data;

namespace WebLab.Tests.Data;

public class OptDigitsTests
{
    [Fact]
    public void TheCatalogueOptDigits_LoadFromScikitLearnsCopy_AsTenClassesOf8x8Images()
    {
        // tests/prerequisites.sh installs python3-sklearn, whose digits.csv.gz is checked against the catalogue's content hash.
        using var digits = DatasetLoader.Load("optdigits");
        var counts = digits.Train.ClassCounts();
        Assert.Equal(1797, counts.Sum());
        Assert.All(counts, c => Assert.InRange(c, 174, 183)); // UCI: 178, 182, 177, 183, 181, 182, 181, 179, 174, 180
        Assert.Equal((1, 8, 8), (digits.Train.Channels, digits.Train.Size, digits.Train.Size));
        var first = digits.Train.Read([0]);
        Assert.Equal(239, first.max().item<byte>()); // its inkiest block counts 15 of 16: round(15 x 255 / 16)
        Assert.Equal(0, first[0, 0, 0, 0].item<byte>()); // the corners of the first image are empty
        Assert.False(DatasetCatalog.BuiltIn.Find("optdigits")!.Flip);

        using var resized = DatasetLoader.Load("optdigits", new DatasetLoadOptions(ImageSize: 28));
        Assert.Equal(28, resized.Train.Size); // what a 28 px source trains on
    }

    [Fact]
    public void AMalformedFile_IsAClearError_NamingTheLine()
    {
        using var dir = new TempDir();
        var entry = DatasetCatalog.BuiltIn.Find("optdigits")! with { Obtain = new CatalogObtain([], null, [], null) };
        var csv = dir.File("digits.csv.gz");
        var good = string.Join(",", Enumerable.Repeat("16", 64)) + ",7";
        Write(csv, good + "\n" + string.Join(",", Enumerable.Repeat("0", 63)) + ",3\n");
        Assert.Contains("line 2: 64 fields", Assert.Throws<BadInputException>(() => OptDigits.Load(entry, csv, DatasetLoadOptions.Default)).Message);
        Write(csv, good + "\n" + string.Join(",", Enumerable.Repeat("17", 64)) + ",3\n");
        Assert.Contains("line 2: '17' is not a whole number from 0 to 16",
            Assert.Throws<BadInputException>(() => OptDigits.Load(entry, csv, DatasetLoadOptions.Default)).Message);
        Write(csv, good + "\n");
        using var loaded = OptDigits.Load(entry, csv, DatasetLoadOptions.Default);
        Assert.Equal([7], loaded.Train.Labels.ToArray());

        var builtIn = DatasetCatalog.BuiltIn.Find("optdigits")!;
        Assert.Contains("does not match the catalogue's SHA-256",
            Assert.Throws<BadInputException>(() => OptDigits.Load(builtIn, csv, DatasetLoadOptions.Default)).Message);
    }

    private static void Write(string path, string text)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(System.Text.Encoding.ASCII.GetBytes(text));
    }
}
