namespace WebLab.Lab.Jobs.Kinds;

/// <summary>Every kind of job the lab runs. Adding a kind: its class, one line here, its tests.</summary>
public static class JobKinds
{
    public static IReadOnlyList<JobKind> All { get; } =
    [
        new PretrainKind(),
        new ExperimentKind(),
        new SweepKind(),
        new AnalyseKind(),
        new IngestKind(),
        new ImportKind(),
        new PredictKind(),
        new ZooInstallKind(),
    ];

    private static readonly Dictionary<string, JobKind> s_byName = All.ToDictionary(k => k.Name);

    /// <summary>Kinds users submit through POST /api/jobs.</summary>
    public static IReadOnlyList<JobKind> Submittable { get; } = [.. All.Where(k => k.Submittable)];

    public static JobKind? Find(string name) => s_byName.GetValueOrDefault(name);

    /// <summary>The kind named <paramref name="name"/>; unknown names are bad input.</summary>
    public static JobKind Get(string name) => Find(name) ?? throw new BadInputException($"Unknown job kind '{name}'.");

    /// <summary>The kind of <typeparamref name="T"/> (for typed access to specs and results).</summary>
    public static T Of<T>() where T : JobKind => All.OfType<T>().Single();
}
