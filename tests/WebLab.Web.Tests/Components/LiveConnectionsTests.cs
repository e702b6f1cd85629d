using Microsoft.Extensions.Options;
using WebLab.Lab;
using WebLab.Web.Access;

namespace WebLab.Web.Tests.Components;

public sealed class LiveConnectionsTests
{
    [Fact]
    public void EachPerson_HoldsAtMostTheLimit_AndClosingFreesAPlace()
    {
        var live = new LiveConnections(Options.Create(new LabOptions { MaxConnectionsPerUser = 2 }));
        Assert.True(live.TryOpen("ada"));
        Assert.True(live.TryOpen("ada"));
        Assert.False(live.TryOpen("ada"));
        Assert.True(live.TryOpen("bob"), "the limit is per person");
        live.Close("ada");
        Assert.True(live.TryOpen("ada"));
        Assert.False(live.TryOpen("ada"));
    }
}
