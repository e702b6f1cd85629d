using System.IO.Compression;
using System.Text;
using WebLab.Data;

namespace WebLab.Tests.Data;

public class ArchiveGuardTests
{
    private static readonly byte[] s_png = TestFiles.Image(8, 8, 1);

    private static List<(string, byte[])> Good() =>
    [
        ("a/1.png", s_png),
        ("a/2.png", s_png),
        ("b/1.png", s_png),
        ("b/2.png", s_png),
    ];

    private static string Reject(TempDir dir, IEnumerable<(string, byte[])> entries, ArchiveLimits? limits = null,
        Action<ZipArchiveEntry>? tweak = null)
    {
        var zip = TestFiles.Zip(dir.File("upload.zip"), entries, tweak);
        var before = Directory.GetFileSystemEntries(dir.Path, "*", SearchOption.AllDirectories).Length;
        var error = Assert.Throws<HostileArchiveException>(() =>
        {
            using var archive = ImageArchive.Open(zip, limits);
            ImageFolder.Load(archive, 8);
        });
        Assert.Equal(before, Directory.GetFileSystemEntries(dir.Path, "*", SearchOption.AllDirectories).Length);
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "evil.png")));
        return error.Message;
    }

    [Fact]
    public void ZipSlip_IsRejectedWhole()
    {
        using var dir = new TempDir();
        var message = Reject(dir, [.. Good(), ("a/../../evil.png", s_png)]);
        Assert.Equal("upload.zip: entry 'a/../../evil.png' points outside the archive (\"..\" in its path).", message);
    }

    [Fact]
    public void AbsolutePath_IsRejected()
    {
        using var dir = new TempDir();
        Assert.Contains("has an absolute path", Reject(dir, [.. Good(), ("/tmp/evil.png", s_png)]));
    }

    [Fact]
    public void WindowsDrivePath_IsRejected()
    {
        using var dir = new TempDir();
        Assert.Contains("has an absolute path", Reject(dir, [.. Good(), ("C:\\evil.png", s_png)]));
    }

    [Fact]
    public void SymlinkEntry_IsRejected()
    {
        using var dir = new TempDir();
        var message = Reject(dir, [.. Good(), ("a/link.png", Encoding.ASCII.GetBytes("/etc/passwd"))],
            tweak: e => e.ExternalAttributes = e.FullName == "a/link.png" ? unchecked((int)(0xA1FFu << 16)) : e.ExternalAttributes);
        Assert.Equal("upload.zip: entry 'a/link.png' is a symbolic link; links are not allowed in uploads.", message);
    }

    [Fact]
    public void NestedZip_IsRejected_ByNameAndByContent()
    {
        using var dir = new TempDir();
        using var inner = new TempDir();
        var innerZip = File.ReadAllBytes(TestFiles.Zip(inner.File("in.zip"), Good()));
        Assert.Contains("nested archives are not supported", Reject(dir, [.. Good(), ("a/more.zip", innerZip)]));
        Assert.Contains("a zip inside the zip", Reject(dir, [.. Good(), ("a/disguised.png", innerZip)]));
    }

    [Fact]
    public void EntryCountBomb_IsRejected()
    {
        using var dir = new TempDir();
        var many = Enumerable.Range(0, 50).Select(i => ($"a/{i}.png", s_png));
        var message = Reject(dir, many, ArchiveLimits.Default with { MaxEntries = 20 });
        Assert.Equal("upload.zip: the archive has 50 entries; at most 20 are allowed.", message);
    }

    [Fact]
    public void CompressionRatioBomb_IsRejected()
    {
        using var dir = new TempDir();
        var zeros = new byte[8 << 20];
        Assert.Contains("looks like a compression bomb", Reject(dir, [.. Good(), ("a/zeros.png", zeros)]));
    }

    [Fact]
    public void TotalSizeLimit_IsEnforcedFromDeclaredSizes()
    {
        using var dir = new TempDir();
        var message = Reject(dir, Good(), ArchiveLimits.Default with { MaxTotalBytes = s_png.Length * 3 });
        Assert.Contains("expands to more than", message);
    }

    [Fact]
    public void ForgedSize_IsRejected_WhenDataExceedsDeclaredLength()
    {
        using var dir = new TempDir();
        var path = TestFiles.Zip(dir.File("forged.zip"), Good(), null);
        // Rewrite the declared uncompressed size of the first entry (local header offset 22, central header offset 24).
        var bytes = File.ReadAllBytes(path);
        int local = 0;
        int central = FindSignature(bytes, [0x50, 0x4b, 0x01, 0x02]);
        BitConverter.GetBytes(10).CopyTo(bytes, local + 22);
        BitConverter.GetBytes(10).CopyTo(bytes, central + 24);
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<HostileArchiveException>(() =>
        {
            using var archive = ImageArchive.Open(path);
            ImageFolder.Load(archive, 8);
        });
        Assert.Equal("forged.zip: entry 'a/1.png' does not match its CRC-32 (corrupt, or its declared size is forged).", error.Message);
    }

    [Fact]
    public void NotAZip_IsAClearError()
    {
        using var dir = new TempDir();
        var path = dir.File("upload.zip");
        File.WriteAllText(path, "this is not a zip");
        var error = Assert.Throws<BadInputException>(() => ImageArchive.Open(path));
        Assert.StartsWith("upload.zip: not a valid zip archive", error.Message);
    }

    private static int FindSignature(byte[] bytes, byte[] signature)
    {
        for (int i = 0; i <= bytes.Length - 4; i++)
            if (bytes.AsSpan(i, 4).SequenceEqual(signature))
                return i;
        throw new InvalidOperationException("signature not found");
    }
}
