using WebLab.Data;

namespace WebLab.Tests.Data;

public class CatalogTests
{
    [Fact]
    public void BuiltIn_ListsTheSurveysDatasets_WithHonestAvailability()
    {
        var catalog = DatasetCatalog.BuiltIn;
        string[] survey = ["imagenet-1k", "cifar-10", "cifar-100", "caltech-101", "caltech-256", "food-101", "birdsnap", "stanford-cars",
            "fgvc-aircraft", "oxford-iiit-pets", "flowers-102", "cub-200-2011", "stanford-dogs", "dtd", "sun397", "voc2007", "fashion-mnist"];
        Assert.Subset(catalog.Entries.Select(e => e.Id).ToHashSet(), survey.ToHashSet());
        foreach (var entry in catalog.Entries)
        {
            Assert.False(string.IsNullOrWhiteSpace(entry.Citation), entry.Id);
            Assert.False(string.IsNullOrWhiteSpace(entry.Licence), entry.Id);
            Assert.Contains(entry.Role, new[] { "source", "target", "both" });
            Assert.Equal(entry.Obtain.Files.Count, entry.Obtain.Files.Select(f => f.Role).Distinct().Count());
            // What WebLab reads itself is fetched only with a checksum, or comes from a Debian package; the rest says how to get it by hand.
            if (entry.Readable)
                Assert.All(entry.Obtain.Files, f => Assert.True(f.Urls.Count == 0 ? entry.Obtain.DebianPackage is not null : f.Sha256 is not null, $"{entry.Id}: {f.Name}"));
            else
                Assert.False(string.IsNullOrWhiteSpace(entry.Obtain.Manual), entry.Id);
        }
        var cifar10 = catalog.Find("CIFAR-10")!;
        Assert.Equal(2.0, cifar10.Transfer!.GainOverRandomInit);
        Assert.Equal(96.1, cifar10.Transfer.RandomInitAccuracy);
    }

    [Fact]
    public void FashionMnist_IsAvailableHere_FromTheDebianPackage() =>
        Assert.True(DatasetFiles.IsAvailable(DatasetCatalog.BuiltIn.Find("fashion-mnist")!));

    [Fact]
    public void Parse_RejectsDuplicateIdsAndBadVersions()
    {
        Assert.Contains("version 2 is not supported", Assert.Throws<BadInputException>(() => DatasetCatalog.Parse("""{"version": 2, "datasets": []}""")).Message);
        Assert.Contains("invalid JSON", Assert.Throws<BadInputException>(() => DatasetCatalog.Parse("{")).Message);
    }
}
