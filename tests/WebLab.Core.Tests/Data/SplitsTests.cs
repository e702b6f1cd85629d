using TorchSharp;
using WebLab.Data;
using static TorchSharp.torch;

namespace WebLab.Tests.Data;

public class SplitsTests
{
    private static LoadedDataset Dataset(int perClass, int classes)
    {
        int n = perClass * classes;
        var labels = Enumerable.Range(0, n).Select(i => i % classes).ToArray();
        var images = torch.arange(n, ScalarType.Int64).remainder(256).to(ScalarType.Byte).reshape(n, 1, 1, 1).expand(n, 1, 4, 4).contiguous();
        var set = new LabeledImages(images, labels, Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray(),
            Enumerable.Range(0, n).Select(i => $"train#{i}").ToArray());
        return new LoadedDataset("toy", set, null, null, [], null, true);
    }

    [Fact]
    public void Make_CarvesStratifiedTestAndVal_WhenDatasetHasNone()
    {
        using var data = Dataset(perClass: 50, classes: 4);
        using var splits = Splits.Make(data, new SplitOptions(ValFraction: 0.1, TestFraction: 0.2, Seed: 1));
        Assert.All(splits.Test.ClassCounts(), n => Assert.Equal(10, n));
        Assert.All(splits.Val.ClassCounts(), n => Assert.Equal(5, n));
        Assert.All(splits.Train.ClassCounts(), n => Assert.Equal(35, n));
        var all = splits.Train.ItemIds.Concat(splits.Val.ItemIds).Concat(splits.Test.ItemIds).ToList();
        Assert.Equal(200, all.Distinct().Count());
    }

    [Fact]
    public void Make_KeepsTestFixed_WhenPerClassChanges()
    {
        using var data = Dataset(perClass: 60, classes: 3);
        using var small = Splits.Make(data, new SplitOptions(PerClass: 5, Seed: 2));
        using var large = Splits.Make(data, new SplitOptions(PerClass: 25, Seed: 2));
        Assert.Equal(small.Test.ItemIds, large.Test.ItemIds);
        Assert.Empty(large.Train.ItemIds.Intersect(large.Test.ItemIds));
        Assert.Subset(large.Train.ItemIds.ToHashSet(), small.Train.ItemIds.ToHashSet());
    }

    [Fact]
    public void Make_RenumbersClassSubsetInGivenOrder()
    {
        using var data = Dataset(perClass: 10, classes: 5);
        using var splits = Splits.Make(data, new SplitOptions(Classes: [4, 1], Seed: 0));
        Assert.Equal(["c4", "c1"], splits.ClassNames);
        var id = splits.Train.ItemIds[Array.IndexOf(splits.Train.Labels, 0)];
        Assert.Equal(4, int.Parse(id.Split('#')[1]) % 5);
    }

    [Fact]
    public void Make_RejectsDuplicateAndUnknownClasses()
    {
        using var data = Dataset(perClass: 10, classes: 3);
        Assert.Contains("listed twice", Assert.Throws<BadInputException>(() => Splits.Make(data, new SplitOptions(Classes: [1, 1]))).Message);
        Assert.Contains("Class 7 does not exist", Assert.Throws<BadInputException>(() => Splits.Make(data, new SplitOptions(Classes: [7]))).Message);
    }
}
