using WebLab.Data;

namespace WebLab.Tests.Data;

[Collection(FashionMnistGroup.Name)]
public class FashionMnistTests(FashionMnist fashion)
{
    [Fact]
    public void Catalogue_LoadsVerifiedFashionMnist_WithOfficialSplitsAndNames()
    {
        var data = fashion.Dataset;
        Assert.Equal(60000, data.Train.Count);
        Assert.Equal(10000, data.Test!.Count);
        Assert.Equal([1, 28, 28], (long[])[data.Train.Channels, data.Train.Size, data.Train.Size]);
        Assert.Equal("Sandal", data.ClassNames[5]);
        Assert.All(data.Train.ClassCounts(), count => Assert.Equal(6000, count));
        Assert.All(data.Test.ClassCounts(), count => Assert.Equal(1000, count));
    }

    [Fact]
    public void ResolveClasses_AcceptsIndicesAndNames_AndNamesTheDatasetOnError()
    {
        Assert.Equal([5, 7, 9], fashion.Dataset.ResolveClasses(["5", "sneaker", "Ankle boot"]));
        var error = Assert.Throws<BadInputException>(() => fashion.Dataset.ResolveClasses(["boots"]));
        Assert.StartsWith("Fashion-MNIST has no class 'boots'. Classes: 0=T-shirt/top", error.Message);
    }

    [Fact]
    public void Splits_PerClassSubsetIsStratifiedDisjointAndDeterministic()
    {
        var options = new SplitOptions(Classes: [5, 6, 7, 8, 9], PerClass: 20, Seed: 3);
        using var a = Splits.Make(fashion.Dataset, options);
        using var b = Splits.Make(fashion.Dataset, options);
        using var c = Splits.Make(fashion.Dataset, options with { Seed = 4 });
        Assert.All(a.Train.ClassCounts(), n => Assert.Equal(20, n));
        Assert.All(a.Val.ClassCounts(), n => Assert.Equal(10, n)); // at most half the training count per class (Splits.ValCount), not 50
        Assert.Equal(5000, a.Test.Count); // the dataset's own test split, classes 5-9
        Assert.Equal(["Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], a.ClassNames);
        Assert.Empty(a.Train.ItemIds.Intersect(a.Val.ItemIds));
        Assert.Equal(a.Train.ItemIds, b.Train.ItemIds);
        Assert.NotEqual(a.Train.ItemIds, c.Train.ItemIds);
        Assert.True(Tensors.Same(a.Train.ReadRange(0, a.Train.Count), b.Train.ReadRange(0, b.Train.Count)));

        // Fewer images per class: a smaller validation set, but both sets stay subsets of the larger run's (a data-efficiency sweep's nesting).
        using var smaller = Splits.Make(fashion.Dataset, options with { PerClass = 8 });
        Assert.All(smaller.Val.ClassCounts(), n => Assert.Equal(4, n));
        Assert.Subset(a.Train.ItemIds.ToHashSet(), smaller.Train.ItemIds.ToHashSet());
        Assert.Subset(a.Val.ItemIds.ToHashSet(), smaller.Val.ItemIds.ToHashSet());
    }
}
