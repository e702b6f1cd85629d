using WebLab.Data;

namespace WebLab.Tests.Data;

public class IdxTests
{
    private static readonly byte[] s_pixels = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_ReturnsShapeAndBytes_ForRawAndGzip(bool gzip)
    {
        var bytes = TestFiles.Idx([3, 4, 5], s_pixels, gzip);
        var array = Idx.Read(new MemoryStream(bytes), "images");
        Assert.Equal([3, 4, 5], array.Shape);
        Assert.Equal(s_pixels, array.Data);
    }

    [Fact]
    public void Read_ChecksDecompressedSha256_SameForGzipAndRaw()
    {
        var raw = TestFiles.Idx([3, 4, 5], s_pixels);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(raw));
        Idx.Read(new MemoryStream(TestFiles.Idx([3, 4, 5], s_pixels, gzip: true)), "x", sha);
        var error = Assert.Throws<BadInputException>(() => Idx.Read(new MemoryStream(raw), "x", new string('0', 64)));
        Assert.Contains("checksum does not match", error.Message);
    }

    [Fact]
    public void Read_RejectsWrongMagic()
    {
        var bytes = TestFiles.Idx([3, 4, 5], s_pixels);
        bytes[0] = 0x12;
        var error = Assert.Throws<BadInputException>(() => Idx.Read(new MemoryStream(bytes), "images.idx"));
        Assert.Equal("images.idx: not an IDX file (magic number starts 12 00, expected 00 00).", error.Message);
    }

    [Fact]
    public void Read_RejectsNonByteElementType()
    {
        var bytes = TestFiles.Idx([3, 4, 5], s_pixels);
        bytes[2] = 0x0D; // float
        Assert.Contains("element type 0x0d is not supported", Assert.Throws<BadInputException>(() => Idx.Read(new MemoryStream(bytes), "f")).Message);
    }

    [Fact]
    public void Read_RejectsZeroDimension()
    {
        var bytes = TestFiles.Idx([3, 0, 5], []);
        Assert.Contains("dimension 2 is 0", Assert.Throws<BadInputException>(() => Idx.Read(new MemoryStream(bytes), "f")).Message);
    }

    [Fact]
    public void Read_RejectsTruncatedHeader()
    {
        var bytes = TestFiles.Idx([3, 4, 5], s_pixels)[..9];
        Assert.Contains("truncated IDX header", Assert.Throws<BadInputException>(() => Idx.Read(new MemoryStream(bytes), "f")).Message);
    }

    [Fact]
    public void Read_RejectsHeaderThatClaimsMoreDataThanPresent()
    {
        var bytes = TestFiles.Idx([30, 4, 5], s_pixels); // claims 600 bytes, has 60
        var error = Assert.Throws<BadInputException>(() => Idx.Read(new MemoryStream(bytes), "f"));
        Assert.Equal("f: file is truncated: header declares 600 bytes of data but only 60 are present.", error.Message);
    }

    [Fact]
    public void Read_RefusesAbsurdSizeWithoutAllocatingIt()
    {
        // 60000 x 60000 x 60000 bytes: refused from the header alone, before reading.
        var bytes = TestFiles.Idx([60000, 60000, 60000], s_pixels);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = Assert.Throws<BadInputException>(() => Idx.Read(new MemoryStream(bytes), "f"));
        Assert.Contains("refusing to read it", error.Message);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 10_000_000);
    }

    [Fact]
    public void Read_GrowsBufferWithActualData_WhenHeaderLiesBelowLimit()
    {
        // Claims 1 GiB (under the limit) but carries 60 bytes: fails as truncated after allocating ~1 MiB, not 1 GiB.
        var bytes = TestFiles.Idx([1024, 1024, 1024], s_pixels);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        Assert.Contains("truncated", Assert.Throws<BadInputException>(() => Idx.Read(new MemoryStream(bytes), "f")).Message);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16_000_000);
    }

    [Fact]
    public void Read_RejectsTrailingData()
    {
        var bytes = TestFiles.Idx([3, 4, 5], [.. s_pixels, 1, 2, 3]);
        bytes[7] = 3; bytes[11] = 4; bytes[15] = 5; // header still says 3x4x5
        Assert.Contains("has data after the 60 bytes", Assert.Throws<BadInputException>(() => Idx.Read(new MemoryStream(bytes), "f")).Message);
    }

    [Fact]
    public void Read_RejectsCorruptGzip()
    {
        var bytes = TestFiles.Idx([3, 4, 5], s_pixels, gzip: true);
        for (int i = 10; i < bytes.Length - 8; i++)
            bytes[i] ^= 0x5a;
        var error = Assert.Throws<BadInputException>(() => Idx.Read(new MemoryStream(bytes), "f.gz"));
        Assert.StartsWith("f.gz:", error.Message);
    }

    [Fact]
    public void Load_RejectsImageLabelCountMismatch()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), TestFiles.Idx([3, 4, 5], s_pixels));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), TestFiles.Idx([2], [0, 1]));
        var error = Assert.Throws<BadInputException>(() => DatasetLoader.Load(dir.Path));
        Assert.Equal("train-images-idx3-ubyte has 3 images but train-labels-idx1-ubyte has 2 labels.", error.Message);
    }

    [Fact]
    public void Load_ReadsIdxFolder_WithTestSplit()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte.gz"), TestFiles.Idx([3, 4, 5], s_pixels, gzip: true));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte.gz"), TestFiles.Idx([3], [0, 1, 2], gzip: true));
        File.WriteAllBytes(dir.File("t10k-images-idx3-ubyte.gz"), TestFiles.Idx([1, 4, 5], s_pixels[..20], gzip: true));
        File.WriteAllBytes(dir.File("t10k-labels-idx1-ubyte.gz"), TestFiles.Idx([1], [2], gzip: true));
        using var data = DatasetLoader.Load(dir.Path);
        Assert.Equal(3, data.Train.Count);
        Assert.Equal((1, 5), (data.Train.Channels, data.Train.Size)); // 4x5 images become 5x5 tiles
        Assert.Equal(["0", "1", "2"], data.ClassNames);
        Assert.Equal(1, data.Test!.Count);
        Assert.Equal(2, data.Test.Labels[0]);
        Assert.Equal(s_pixels[20..25], data.Train.Read([1])[0, 0, 0].data<byte>().ToArray()); // the top row keeps its 5 pixels
    }
}
