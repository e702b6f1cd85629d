using WebLab.Lab.Storage;

namespace WebLab.Lab.Tests.Storage;

public sealed class DiskReserveTests
{
    [Fact]
    public async Task TheReserve_IsWrittenWhole_ReleasedOnDemand_AndWrittenAgain()
    {
        await using var lab = await TempLab.CreateAsync();
        var reserve = new DiskReserve(new DataFolder(lab.Folder), 3 << 20, lab.Time);

        Assert.True(reserve.Ensure());
        Assert.Equal(3 << 20, new FileInfo(reserve.Path).Length);
        Assert.True(reserve.Release());
        Assert.False(File.Exists(reserve.Path));
        Assert.False(reserve.Release());
        Assert.True(reserve.Ensure());
        Assert.True(File.Exists(reserve.Path));
    }
}
