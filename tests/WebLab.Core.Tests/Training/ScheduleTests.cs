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

public class ScheduleFloorAndStaircaseTests
{
    [Fact]
    public void Floor_CosineFinishingEarly_HoldsTheFloorInsteadOfZero()
    {
        var s = new Schedule(ScheduleKind.Cosine, DecaySpeed: 1.5, MinFactor: 0.1);
        Assert.Equal(1, s.Factor(0, 300), 9);
        Assert.Equal(0.55, s.Factor(100, 300), 9); // half-way down at a third of the budget
        // From two thirds of the budget on, every update runs at the floor, never at 0.
        Assert.All(Enumerable.Range(200, 100), step => Assert.Equal(0.1, s.Factor(step, 300), 9));
        Assert.Equal(0, new Schedule(ScheduleKind.Cosine, DecaySpeed: 1.5).Factor(250, 300), 9);
    }

    [Fact]
    public void Staircase_WarmsUpFromZero_ThenDividesByTenAfterEachMilestone()
    {
        var s = new Schedule(ScheduleKind.Staircase, WarmupSteps: 10, Milestones: [0.5, 0.75]);
        Assert.Equal([0, 0.1, 0.5, 0.9], new[] { 0, 1, 5, 9 }.Select(i => s.Factor(i, 100)));
        Assert.Equal(1, s.Factor(10, 100), 9);
        Assert.Equal(1, s.Factor(50, 100), 9);     // a milestone at step 50 takes effect after it
        Assert.Equal(0.1, s.Factor(51, 100), 9);
        Assert.Equal(0.1, s.Factor(75, 100), 9);
        Assert.Equal(0.01, s.Factor(76, 100), 9);
        Assert.Equal(0.01, s.Factor(99, 100), 9);
        // Without milestones: 30, 60 and 90 % of the budget; the floor still bounds it.
        var paper = new Schedule(ScheduleKind.Staircase);
        Assert.Equal([1, 1, 0.1, 0.01, 0.001], new[] { 0, 30, 31, 61, 91 }.Select(i => Math.Round(paper.Factor(i, 100), 12)));
        Assert.Equal(0.05, new Schedule(ScheduleKind.Staircase, MinFactor: 0.05).Factor(95, 100), 9);
    }
}
