using WebLab.Training;

namespace WebLab.Web.Tests.Components;

/// <summary>Small experiment and sweep results for rendering components (no training).</summary>
internal static class SampleResults
{
    /// <summary>
    /// Three classes (the third named like markup), transfer seeds 1 and 2 and scratch seed 1. Transfer seed 1 confuses
    /// 4 test images of class 0 as class 1 and lists 2 of them.
    /// </summary>
    public static ExperimentResult Experiment(double transferAccuracy = 0.9, double scratchAccuracy = 0.85)
    {
        string[] classes = ["sandal", "sneaker", "<b>bag</b>"];
        SeedRun Run(int seed, double accuracy, int[][] confusion, Dictionary<string, string[]> cells) =>
            new(seed, accuracy, 0.3, accuracy, 3, [], [0.8, 0.9, 1.0], confusion, cells, 1, 100, 0, false, false);
        var transfer = new[]
        {
            Run(1, transferAccuracy, [[6, 4, 0], [1, 9, 0], [0, 0, 10]], new() { ["0->1"] = ["test#11", "test#17"], ["1->0"] = ["test#3"] }),
            Run(2, transferAccuracy, [[10, 0, 0], [0, 8, 2], [0, 0, 10]], new() { ["1->2"] = ["test#5", "test#6"] }),
        };
        var scratch = new[] { Run(1, scratchAccuracy, [[9, 0, 1], [0, 10, 0], [3, 0, 7]], new() { ["2->0"] = ["test#30"], ["0->2"] = ["test#1"] }) };
        return new ExperimentResult("sample", new TargetSummary("fashion-mnist", classes, 20, 60, 15, 30, [20, 20, 20]),
            new SourceSummary("demo.weblab", "demo", "resnet8", "fashion-mnist", ["0", "1"], 0.9), null, "cpu", 10, [1, 2],
            [
                new ArmResult(Training.Experiment.TransferArm, null!, Summary.Of([transferAccuracy, transferAccuracy]), transfer),
                new ArmResult(Training.Experiment.ScratchArm, null!, Summary.Of([scratchAccuracy]), scratch),
            ],
            new NtgSummary(scratchAccuracy - transferAccuracy, 0.01, [-0.1, 0.1], [scratchAccuracy - transferAccuracy], 1), null, [], null, false);
    }

    /// <summary>A 2 x 3 grid of perClass x lr; <paramref name="done"/> of its points (row-major) have results.</summary>
    public static SweepResult Grid(int done = 6)
    {
        var perClass = new SweepAxis("perClass", ["5", "20"]);
        var lr = new SweepAxis("lr", ["0.01", "0.1", "1"]);
        var points = new List<SweepPoint>();
        foreach (var (pc, i) in perClass.Values.Select((v, i) => (v, i)))
        {
            foreach (var (l, j) in lr.Values.Select((v, j) => (v, j)))
            {
                if (points.Count == done)
                    break;
                // Transfer helps most with few images and a small learning rate; the largest one transfers negatively.
                double transfer = 0.70 + (0.1 * i) - (0.1 * j), scratch = 0.65 + (0.15 * i);
                points.Add(new SweepPoint(new Dictionary<string, string> { ["perClass"] = pc, ["lr"] = l }, Experiment(transfer, scratch)));
            }
        }
        return new SweepResult("grid", [perClass, lr], points, 1, false);
    }
}
