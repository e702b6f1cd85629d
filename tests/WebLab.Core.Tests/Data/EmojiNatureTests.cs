using SkiaSharp;
using WebLab.Data;

namespace WebLab.Tests.Data;

/// <summary>The emoji-nature target, drawn from the Debian packages fonts-noto-color-emoji and unicode-data.</summary>
public class EmojiNatureTests
{
    private static readonly DatasetLoadOptions s_options = new(ImageSize: 32, Files: new DatasetFileOptions(AllowDownload: false));

    [Fact]
    public void Load_DrawsSevenSubgroups_InColour_DeterministicallyAndVaried()
    {
        using var first = DatasetLoader.Load("emoji-nature", s_options);
        using var second = DatasetLoader.Load("emoji-nature", s_options);
        Assert.Equal(["animal-mammal", "animal-bird", "animal-marine", "animal-bug", "plant-flower", "food-fruit", "food-vegetable"], first.ClassNames);
        Assert.All(first.Train.ClassCounts(), count => Assert.True(count >= 20));
        using var tiles = first.Train.ReadRange(0, first.Train.Count);
        Assert.Equal([7L * EmojiNature.PerClass, 3, 32, 32], tiles.shape);
        Assert.True(Tensors.Same(tiles, second.Train.ReadRange(0, second.Train.Count)));
        // Colour (the channels differ) and variety (no two images alike).
        using var images = tiles.to(TorchSharp.torch.ScalarType.Float32);
        Assert.True(images[.., 0].sub(images[.., 2]).abs().mean().item<float>() > 10);
        var bytes = tiles.data<byte>().ToArray();
        int length = 3 * 32 * 32;
        var distinct = Enumerable.Range(0, bytes.Length / length).Select(i => Convert.ToHexString(bytes, i * length, length)).Distinct().Count();
        Assert.Equal(bytes.Length / length, distinct);
    }

    [Fact]
    public void Subgroups_KeepSingleEmojiTheFontDraws_AndSkipSequences()
    {
        var entry = DatasetCatalog.BuiltIn.Find("emoji-nature")!;
        var files = DatasetFiles.Locate(entry, new DatasetFileOptions(AllowDownload: false));
        using var typeface = SKTypeface.FromFile(files["font"]);
        var subgroups = EmojiNature.Subgroups(files["emoji-test"], new HashSet<string> { "animal-mammal", "animal-bird" }, typeface);
        Assert.Contains("\U0001F98A", subgroups["animal-mammal"]); // fox
        Assert.DoesNotContain(subgroups["animal-mammal"], e => e.Contains('\u200D', StringComparison.Ordinal)); // no ZWJ sequences (black cat)
        Assert.True(subgroups["animal-bird"].Count >= 15);
    }
}
