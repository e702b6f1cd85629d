using WebLab.Training;

namespace WebLab.Tests.Training;

public class ExperimentSpecTests
{
    [Fact]
    public void Warnings_OneSeed_SaysTheGapGetsNoInterval()
    {
        var spec = new ExperimentSpec("fashion-mnist", "source.weblab", Seeds: 1);
        Assert.Empty(spec.Validate());
        Assert.Equal(["1 seed: the gap gets no interval; use 3 or more to know whether it is real."], spec.Warnings());
        Assert.Empty((spec with { Seeds = 3 }).Warnings());
    }
}
