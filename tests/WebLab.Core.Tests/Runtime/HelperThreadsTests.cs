using TorchSharp;
using WebLab.Runtime;

namespace WebLab.Tests;

public class HelperThreadsTests
{
    [Fact]
    public void RunSerially_LimitsTheCallingThreadOnly()
    {
        TorchRuntime.Initialize();
        Assert.True(HelperThreads.Available, "libtorch's OpenMP runtime (libgomp) should be found in this process");
        int before = torch.get_num_threads();
        Assert.True(before >= 2, $"this test needs a machine with 2 or more cores (libtorch uses {before} thread here)");

        int helper = 0;
        float sum = 0;
        var thread = new Thread(() =>
        {
            HelperThreads.RunSerially();
            helper = torch.get_num_threads();
            // Work big enough to be split across threads where allowed gives the same result serially.
            using var ones = torch.ones(1_000_000);
            sum = ones.mul(2).sum().item<float>();
        });
        thread.Start();
        thread.Join();

        Assert.Equal(1, helper);
        Assert.Equal(2_000_000f, sum);
        Assert.Equal(before, torch.get_num_threads());
    }
}
