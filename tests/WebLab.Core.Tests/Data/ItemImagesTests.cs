using SkiaSharp;
using TorchSharp;
using WebLab.Data;
using static TorchSharp.torch;

namespace WebLab.Tests.Data;

public class ItemImagesTests
{
    [Fact]
    public void Write_RendersTheListedItemsOfAnySplit_AtTheirOwnSize_NamedByTheirIds()
    {
        // Train items are grey levels 0..5, test items 100..103 (3 x 3 pixels, one channel).
        static LabeledImages Set(int n, int offset, string[] ids) => new(
            torch.arange(offset, offset + n, ScalarType.Int64).to(ScalarType.Byte).reshape(n, 1, 1, 1).expand(n, 1, 3, 3).contiguous(),
            Enumerable.Range(0, n).Select(i => i % 2).ToArray(), ["a", "b"], ids);
        using var dataset = new LoadedDataset("toy", Set(6, 0, [.. Enumerable.Range(0, 6).Select(i => $"a/{i}.png")]), null,
            Set(4, 100, ["test#0", "test#1", "test#2", "test#3"]), [], null, true);
        using var folder = new TempDir();

        var written = ItemImages.Write(dataset, ["test#2", "a/4.png", "test#2", "not/there.png"], folder.Path);

        Assert.Equal(2, written);
        Assert.Equal(new[] { ItemImages.FileName("a/4.png"), ItemImages.FileName("test#2") }.Order(),
            Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order());
        using var image = SKBitmap.Decode(Path.Combine(folder.Path, ItemImages.FileName("test#2")));
        Assert.Equal((3, 3), (image.Width, image.Height));
        Assert.Equal(new SKColor(102, 102, 102), image.GetPixel(1, 1));
    }

    [Fact]
    public void FileNames_AreSafeAndStable_AndOnlyTheirShapeIsAccepted()
    {
        var name = ItemImages.FileName("../../etc/passwd");
        Assert.Matches("^[0-9a-f]{16}\\.png$", name);
        Assert.Equal(name, ItemImages.FileName("../../etc/passwd"));
        Assert.NotEqual(name, ItemImages.FileName("test#1"));
        Assert.True(ItemImages.IsFileName(name));
        foreach (var bad in new[] { "../lab.db", "0123456789ABCDEF.png", "0123456789abcdef.jpg", "0123456789abcde.png", "job-1.json" })
            Assert.False(ItemImages.IsFileName(bad), bad);
    }
}
