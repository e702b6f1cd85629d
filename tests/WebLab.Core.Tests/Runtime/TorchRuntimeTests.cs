using WebLab.Runtime;

namespace WebLab.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void Initialize_TurnsOffNnpack_SoUnsupportedHostsLogNoWarnings()
    {
        TorchRuntime.Initialize();
        Assert.False(Nnpack.Enabled);
    }
}
