using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Cli.Study;

/// <summary>One target task of the validation study.</summary>
internal sealed record StudyTask(string Id, string Label, string Dataset, IReadOnlyList<string> Classes, int PerClass, string Kind);

/// <summary>
/// What `weblab study` runs (validation study of issue 6): the same seeds, source and data code as any experiment.
/// <list type="bullet">
/// <item>A: four target tasks spanning the plane, every preset with 3 seeds, the recommender's choice and its regret.</item>
/// <item>B: <see cref="CorrelationTaskCount"/> (ten) random target tasks (classes and sizes vary, as in LEEP's Fashion-MNIST
/// tasks), each measure's Spearman correlation with the measured transfer gain of one fixed fine-tuning recipe.</item>
/// <item>C: ablations for the survey's claims (L2-SP and fewer transferred blocks, on a similar and a dissimilar target).</item>
/// </list>
/// </summary>
internal static class StudyPlan
{
    /// <summary>BiT-HyperRule's fixed batch of 512 makes 500 full-batch updates; above this many images it is skipped (cost).</summary>
    public const int BitMaxExamples = 200;

    public static IReadOnlyList<StudyTask> PresetTasks { get; } =
    [
        new("fashion-20", "Fashion-MNIST 5-9 (sandal, shirt, sneaker, bag, boot), 20/class", "fashion-mnist", ["5", "6", "7", "8", "9"], 20, "similar"),
        new("fashion-100", "Fashion-MNIST 5-9 (sandal, shirt, sneaker, bag, boot), 100/class", "fashion-mnist", ["5", "6", "7", "8", "9"], 100, "similar"),
        new("digits-20", "MNIST digits 0-4, 20/class", "mnist-digits", ["0", "1", "2", "3", "4"], 20, "dissimilar"),
        new("digits-100", "MNIST digits 0-4, 100/class", "mnist-digits", ["0", "1", "2", "3", "4"], 100, "dissimilar"),
    ];

    /// <summary>Random tasks the rank correlations use unless `--correlation-tasks` says otherwise.</summary>
    public const int CorrelationTaskCount = 10;

    /// <summary>Random tasks for the rank correlations: a fixed generator so the study is reproducible.</summary>
    public static IReadOnlyList<StudyTask> CorrelationTasks(int count)
    {
        var random = new Random(2026);
        var tasks = new List<StudyTask>();
        int[] sizes = [10, 20, 50];
        for (int i = 0; i < count; i++)
        {
            bool digits = i % 2 == 1;
            int[] pool = digits ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] : [5, 6, 7, 8, 9];
            int k = random.Next(2, 6);
            var classes = pool.OrderBy(_ => random.Next()).Take(k).Order().Select(c => c.ToString()).ToArray();
            int perClass = sizes[random.Next(sizes.Length)];
            var dataset = digits ? "mnist-digits" : "fashion-mnist";
            tasks.Add(new($"r{i:00}", $"{(digits ? "digits" : "fashion")} {{{string.Join(",", classes)}}}, {perClass}/class", dataset, classes, perClass,
                digits ? "dissimilar" : "similar"));
        }
        return tasks;
    }

    /// <summary>The fixed recipe whose gain the measures are correlated with: WebLab's default fine-tuning dials.</summary>
    public static TransferDials CorrelationRecipe { get; } = new();

    /// <summary>Ablations on the small tasks: small-similar as the base, one dial changed.</summary>
    public static IReadOnlyList<(string Id, string Label, IReadOnlyDictionary<string, string> Overrides)> Ablations { get; } =
    [
        ("no-l2sp", "small-similar without L2-SP (alpha 0, plain L2)", new Dictionary<string, string> { ["l2SPAlpha"] = "0" }),
        ("top-reinit-1", "small-similar, top stage re-initialised (blocksTransferred -1)", new Dictionary<string, string> { ["blocksTransferred"] = "-1" }),
        ("top-reinit-2", "small-similar, top two stages re-initialised (blocksTransferred -2)", new Dictionary<string, string> { ["blocksTransferred"] = "-2" }),
    ];

    public static ExperimentSpec Spec(StudyTask task, string source, int seeds, string device) =>
        new(task.Dataset, source, task.Classes, task.PerClass, Seeds: seeds, Device: device, Probe: false, Name: task.Label);
}
