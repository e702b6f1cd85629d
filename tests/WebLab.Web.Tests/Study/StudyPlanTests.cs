using WebLab.Cli.Study;

namespace WebLab.Web.Tests;

/// <summary>The study's plan: the measures part's tasks are distinct observations, stratified as documented.</summary>
public sealed class StudyPlanTests
{
    private static readonly StudySource s_demo = new("demo", "resnet8", "demo.weblab", null);
    private static readonly StudySource s_imageNet = new("imagenet", "ResNet-18", "r18.weblab", 64);

    [Theory]
    [InlineData(false, 35)]
    [InlineData(true, 63)]
    public void EveryMeasureTaskIsADistinctTask_PerSource(bool full, int perSource)
    {
        var plan = StudyPlan.For(full ? StudyMode.Full : StudyMode.Quick, null, s_demo, s_imageNet);

        foreach (var source in plan.MeasurePairs.GroupBy(p => p.Source.Id))
        {
            // Two tasks with the same dataset, classes and n would be one task counted twice in every correlation.
            var identities = source.Select(p => $"{p.Task.Dataset}|{string.Join(",", p.Task.Classes)}|{p.Task.PerClass}").ToList();
            Assert.Equal(identities.Count, identities.Distinct().Count());
            Assert.Equal(perSource, identities.Count);
        }
        Assert.Equal(full ? 2 : 1, plan.MeasurePairs.Select(p => p.Source.Id).Distinct().Count());
    }

    [Fact]
    public void AFullKCellHasOneTask_WhileSmallerCellsKeepBothDraws()
    {
        var tasks = StudyPlan.For(StudyMode.Full, null, s_demo, s_imageNet).MeasurePairs.Where(p => p.Source.Id == "demo").Select(p => p.Task).ToList();

        Assert.Single(tasks, t => t.Dataset == "emoji-nature" && t.Classes.Count == 7 && t.PerClass == 10);
        Assert.Equal(2, tasks.Count(t => t.Dataset == "fashion-mnist" && t.Classes.Count == 2 && t.PerClass == 10));
        Assert.All(tasks.Where(t => t.Dataset == "fashion-mnist"), t => Assert.All(t.Classes, c => Assert.InRange(int.Parse(c, System.Globalization.CultureInfo.InvariantCulture), 5, 9)));
    }

    [Fact]
    public void TheAxisContrast_RunsBothPresetsAtTheMeasuresBudget_BesideTheMeasuresOwnScratchArm()
    {
        var full = StudyPlan.For(StudyMode.Full, null, s_demo, s_imageNet);
        var pair = full.MeasurePairs.First(p => p.Source.Id == "imagenet");

        Assert.True(full.AxisContrast);
        Assert.False(StudyPlan.For(StudyMode.Quick, null, s_demo, s_imageNet).AxisContrast); // the quick plan stays under 30 minutes
        foreach (var preset in StudyPlan.AxisPresets)
        {
            var spec = full.ContrastSpec(pair, preset);
            Assert.Equal(preset, spec.Preset);
            Assert.True(spec.DialsFromPreset);
            Assert.Equal(full.MeasureSteps.ToString(System.Globalization.CultureInfo.InvariantCulture), spec.Overrides!["steps"]);
            Assert.Equal("64", spec.Overrides["inputSize"]);
            // The same scratch dials, data and seeds as the measures' experiment: its scratch arm is a content-hash cache hit.
            var measure = full.MeasureSpec(pair);
            Assert.Equal(measure.Scratch, spec.Scratch);
            Assert.Equal((measure.Target, measure.PerClass, measure.Seeds), (spec.Target, spec.PerClass, spec.Seeds));
            Assert.Equal(measure.TargetClasses, spec.TargetClasses);
        }
    }

    [Fact]
    public void AScope_KeepsOneSourcesPairs_AndGivesTheQuickPlansMeasuresTasksToTheSourceItNames()
    {
        var quick = StudyPlan.For(StudyMode.Quick, null, s_demo, s_imageNet);
        var imageNetQuick = StudyPlan.For(StudyMode.Quick, null, s_demo, s_imageNet, scope: new StudyScope("imagenet"));

        Assert.Empty(imageNetQuick.AnswerPairs); // the quick plan's answer pairs are all the demo source's
        Assert.All(imageNetQuick.MeasurePairs, p => Assert.Equal("imagenet", p.Source.Id));
        // The same tasks as the demo source's, so the two sources' results pair up task by task.
        Assert.Equal(quick.MeasurePairs.Select(p => p.Task.Label), imageNetQuick.MeasurePairs.Select(p => p.Task.Label));

        var demoFull = StudyPlan.For(StudyMode.Full, null, s_demo, s_imageNet, scope: new StudyScope("demo"));
        Assert.All(demoFull.AnswerPairs.Concat(demoFull.MeasurePairs), p => Assert.Equal("demo", p.Source.Id));
        Assert.Equal(8, demoFull.AnswerPairs.Count);
    }

    [Fact]
    public void AScopesTargets_KeepOnlyPairsOnThoseDatasets()
    {
        var all = StudyPlan.For(StudyMode.Full, null, s_demo, s_imageNet);
        var scoped = StudyPlan.For(StudyMode.Full, null, s_demo, s_imageNet, scope: new StudyScope("imagenet", ["emoji-nature", "fashion-mnist"]));

        Assert.All(all.AnswerPairs.Concat(all.MeasurePairs), p => Assert.Contains(p.Task.Dataset, StudyPlan.TargetDatasets));
        Assert.Equal(2, scoped.AnswerPairs.Count);
        Assert.Equal(all.MeasurePairs.Count(p => p.Source.Id == "imagenet" && p.Task.Dataset is "emoji-nature" or "fashion-mnist"), scoped.MeasurePairs.Count);
        Assert.All(scoped.MeasurePairs, p => Assert.Contains(p.Task.Dataset, new[] { "emoji-nature", "fashion-mnist" }));
    }

    [Fact]
    public void ThePlansCommand_RunsThatPlanAgain()
    {
        Assert.Equal("weblab study", StudyPlan.For(StudyMode.Full, null, s_demo, s_imageNet).Command);
        Assert.Equal("weblab study --quick --seeds 2", StudyPlan.For(StudyMode.Quick, 2, s_demo, s_imageNet).Command);
        Assert.Equal("weblab study --quick --axis-contrast --source imagenet --targets emoji-nature,fashion-mnist",
            StudyPlan.For(StudyMode.Quick, null, s_demo, s_imageNet, true, new StudyScope("imagenet", ["emoji-nature", "fashion-mnist"])).Command);
    }
}
