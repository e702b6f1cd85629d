using SkiaSharp;
using WebLab.Data;

namespace WebLab.Tests.Data;

public class ImageFolderTests
{
    private static readonly string[] s_classes = ["cat", "dog", "emu"];

    [Fact]
    public void Load_Directory_ClassesSortedCountsAndTiles()
    {
        using var dir = new TempDir();
        TestFiles.ClassFolders(dir.Path, ["dog", "cat", "emu"], perClass: 4, size: 20);
        using var data = DatasetLoader.Load(dir.Path, new DatasetLoadOptions(ImageSize: 16));
        Assert.Equal(s_classes, data.ClassNames);
        Assert.Equal([4, 4, 4], data.Train.ClassCounts());
        Assert.Equal([12, 3, 16, 16], data.Train.ReadRange(0, data.Train.Count).shape);
        Assert.Contains("cat/img0.png", data.Train.ItemIds);
        Assert.Null(data.Test);
    }

    [Fact]
    public void Load_GreyImages_GiveOneChannel_AndMixedGiveThree()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 3; i++)
        {
            File.WriteAllBytes(dir.File($"a/{i}.png"), TestFiles.Image(12, 12, i, gray: true));
            File.WriteAllBytes(dir.File($"b/{i}.jpg"), TestFiles.Image(12, 12, i, SKEncodedImageFormat.Jpeg, gray: true));
        }
        using (var grey = DatasetLoader.Load(dir.Path, new DatasetLoadOptions(ImageSize: 12)))
            Assert.Equal(1, grey.Train.Channels);
        File.WriteAllBytes(dir.File("b/colour.png"), TestFiles.Image(12, 12, 9));
        using var mixed = DatasetLoader.Load(dir.Path, new DatasetLoadOptions(ImageSize: 12));
        Assert.Equal(3, mixed.Train.Channels);
    }

    [Fact]
    public void Decode_ResizesShorterSideAndCentreCrops()
    {
        // 40x20 image: left half black, right half white; the centre square is half and half.
        using var bitmap = new SKBitmap(40, 20);
        for (int y = 0; y < 20; y++)
            for (int x = 0; x < 40; x++)
                bitmap.SetPixel(x, y, x < 20 ? SKColors.Black : SKColors.White);
        using var data = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        var tile = new byte[3 * 10 * 10];
        var decoded = ImageDecoder.DecodeTile(data.ToArray(), "wide.png", 10, tile);
        Assert.Equal((40, 20), (decoded.SourceWidth, decoded.SourceHeight));
        Assert.True(decoded.IsGray);
        Assert.True(tile[0] < 30, $"left edge should be dark, was {tile[0]}");
        Assert.True(tile[9] > 225, $"right edge should be light, was {tile[9]}");
    }

    [Fact]
    public void Load_Zip_IgnoresJunkAndWrappingFolder_AndUsesSplitFolders()
    {
        using var dir = new TempDir();
        var entries = new List<(string, byte[])>
        {
            ("__MACOSX/set/train/cat/._a.png", [0, 1, 2]),
            ("set/.DS_Store", [1, 2, 3]),
        };
        foreach (var split in new[] { "train", "test" })
            foreach (var cls in s_classes)
                for (int i = 0; i < 3; i++)
                    entries.Add(($"set/{split}/{cls}/{i}.png", TestFiles.Image(10, 10, i)));
        var zip = TestFiles.Zip(dir.File("data.zip"), entries);
        using var data = DatasetLoader.Load(zip, new DatasetLoadOptions(ImageSize: 8));
        Assert.Equal(s_classes, data.ClassNames);
        Assert.Equal(9, data.Train.Count);
        Assert.Equal(9, data.Test!.Count);
        Assert.Empty(data.Problems);
    }

    [Fact]
    public void Load_CorruptImage_StrictNamesTheFile_LenientSkipsAndReports()
    {
        using var dir = new TempDir();
        TestFiles.ClassFolders(dir.Path, s_classes, perClass: 2);
        File.WriteAllBytes(dir.File("dog/broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6]);
        var error = Assert.Throws<BadInputException>(() => DatasetLoader.Load(dir.Path, new DatasetLoadOptions(ImageSize: 8, Strict: true)));
        Assert.StartsWith("dog/broken.jpg:", error.Message);
        using var data = DatasetLoader.Load(dir.Path, new DatasetLoadOptions(ImageSize: 8));
        var problem = Assert.Single(data.Problems);
        Assert.Equal("dog/broken.jpg", problem.Path);
        Assert.Equal(6, data.Train.Count);
    }

    [Fact]
    public void Load_TruncatedPng_IsReportedAsTruncated()
    {
        using var dir = new TempDir();
        TestFiles.ClassFolders(dir.Path, s_classes, perClass: 2);
        var png = TestFiles.Image(64, 64, 5);
        File.WriteAllBytes(dir.File("emu/cut.png"), png[..(png.Length / 2)]);
        using var data = DatasetLoader.Load(dir.Path, new DatasetLoadOptions(ImageSize: 8));
        var problem = Assert.Single(data.Problems);
        Assert.Contains("truncated or corrupt", problem.Reason);
    }

    [Fact]
    public void Load_UnknownFileType_IsReportedNotDecoded()
    {
        using var dir = new TempDir();
        TestFiles.ClassFolders(dir.Path, s_classes, perClass: 2);
        File.WriteAllText(dir.File("cat/notes.txt"), "hello");
        using var data = DatasetLoader.Load(dir.Path, new DatasetLoadOptions(ImageSize: 8));
        Assert.Contains(data.Problems, p => p.Path == "cat/notes.txt" && p.Reason.Contains("unsupported file type '.txt'"));
        Assert.Throws<BadInputException>(() => DatasetLoader.Load(dir.Path, new DatasetLoadOptions(ImageSize: 8, Strict: true)));
    }

    [Fact]
    public void Load_EmptyClassFolder_IsAnErrorNamingTheClass()
    {
        using var dir = new TempDir();
        TestFiles.ClassFolders(dir.Path, ["cat", "dog"], perClass: 2);
        File.WriteAllText(dir.File("yak/readme.md"), "no images here");
        var error = Assert.Throws<BadInputException>(() => DatasetLoader.Load(dir.Path, new DatasetLoadOptions(ImageSize: 8)));
        Assert.EndsWith("class folder 'yak' has no images.", error.Message);
    }

    [Fact]
    public void Load_SingleClass_IsAnError()
    {
        using var dir = new TempDir();
        TestFiles.ClassFolders(dir.Path, ["cat"], perClass: 3, prefix: "root");
        var error = Assert.Throws<BadInputException>(() => DatasetLoader.Load(dir.Path, new DatasetLoadOptions(ImageSize: 8)));
        Assert.Contains("found a single class ('cat')", error.Message);
    }

    [Fact]
    public void Load_MissingPath_SaysWhatItAccepts()
    {
        var error = Assert.Throws<BadInputException>(() => DatasetLoader.Load("/nonexistent/weblab"));
        Assert.Contains("is neither a catalogue dataset", error.Message);
    }
}
