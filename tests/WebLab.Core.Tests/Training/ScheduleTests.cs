using WebLab.Training;

namespace WebLab.Tests.Training;

public class ScheduleTests
{
    [Fact]
    public void Cosine_StartsAtOne_EndsNearZero_HalfwayIsHalf()
    {
        var s = new Schedule(ScheduleKind.Cosine);
        Assert.Equal(1, s.Factor(0, 100), 9);
        Assert.Equal(0.5, s.Factor(50, 100), 9);
        Assert.True(s.Factor(99, 100) < 0.001);
    }

    [Fact]
    public void Step_DividesByTenAt30_60_90Percent()
    {
        var s = new Schedule(ScheduleKind.Step);
        Assert.Equal(1, s.Factor(29, 100), 9);
        Assert.Equal(0.1, s.Factor(30, 100), 9);
        Assert.Equal(0.01, s.Factor(60, 100), 9);
        Assert.Equal(0.001, s.Factor(95, 100), 9);
    }

    [Fact]
    public void Warmup_RampsLinearly_ThenDecays()
    {
        var s = new Schedule(ScheduleKind.Cosine, WarmupSteps: 10);
        Assert.Equal(0.1, s.Factor(0, 110), 9);
        Assert.Equal(1.0, s.Factor(9, 110), 9);
        Assert.Equal(1.0, s.Factor(10, 110), 9);
        Assert.Equal(0.5, s.Factor(60, 110), 9);
    }

    [Fact]
    public void DecaySpeed_TwoFinishesByHalfway_HalfIsOnlyHalfwayAtTheEnd()
    {
        Assert.Equal(0, new Schedule(DecaySpeed: 2).Factor(50, 100), 9);
        Assert.Equal(0.5, new Schedule(DecaySpeed: 0.5).Factor(100, 100), 9);
        Assert.Throws<BadInputException>(() => new Schedule(DecaySpeed: 0).Factor(1, 10));
    }
}
