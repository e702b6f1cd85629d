using WebLab.Transfer;

namespace WebLab.Training;

/// <summary>
/// A transfer experiment: the transfer arm (source checkpoint + dials) and the random-initialisation arm, on the
/// same target data, architecture, budget and seeds.
/// </summary>
/// <param name="Target">Target dataset: catalogue id or path.</param>
/// <param name="Source">Source checkpoint (.weblab).</param>
/// <param name="TargetClasses">Classes of the target to use (indices or names); null = all.</param>
/// <param name="PerClass">Training images per class; null = all.</param>
/// <param name="Transfer">The transfer arm's dials.</param>
/// <param name="Scratch">The random-initialisation arm's own dials.</param>
/// <param name="Seeds">Number of seeds (each seed: its own data subsample, initialisation and batch order, shared by both arms).</param>
/// <param name="FirstSeed">The first seed; seeds are FirstSeed, FirstSeed + 1, ...</param>
/// <param name="Device">"auto", "cpu" or "cuda".</param>
/// <param name="Name">Display name.</param>
/// <param name="CheckpointPath">Where to save the transfer arm's best-validation model (null = not saved).</param>
/// <param name="Probe">Fit the frozen-feature probe first (a first result within seconds).</param>
/// <param name="Preset">
/// A preset id or "auto". With no <paramref name="Transfer"/> dials the experiment takes them from the preset for the
/// target's size ("auto": from the recommender, after a transferability analysis); with dials given it is only recorded.
/// </param>
/// <param name="Overrides">Settings applied on top of the preset's dials, by name as in <see cref="DialNames"/> (e.g. "l2spAlpha" -> "0").</param>
public sealed record ExperimentSpec(
    string Target,
    string Source,
    IReadOnlyList<string>? TargetClasses = null,
    int? PerClass = null,
    TransferDials? Transfer = null,
    ScratchDials? Scratch = null,
    int Seeds = 3,
    int FirstSeed = 0,
    string Device = "auto",
    string? Name = null,
    string? CheckpointPath = null,
    bool Probe = true,
    string? Preset = null,
    IReadOnlyDictionary<string, string>? Overrides = null)
{
    /// <summary>The preset id that means "let the recommender choose".</summary>
    public const string AutoPreset = "auto";

    /// <summary>True when the dials come from <see cref="Preset"/> at run time.</summary>
    public bool DialsFromPreset => Transfer is null && Preset is { Length: > 0 } && Preset != "custom";

    /// <summary>The transfer dials (defaults when none were given).</summary>
    public TransferDials Dials => Transfer ?? new TransferDials();

    /// <summary>The scratch dials (defaults when none were given).</summary>
    public ScratchDials ScratchArm => Scratch ?? new ScratchDials();

    /// <summary>Advice on a valid spec that will run but may not answer its question (e.g. a single seed).</summary>
    public IReadOnlyList<string> Warnings() =>
        NtgSummary.HasIntervalFor(Seeds) ? [] : ["1 seed: the gap gets no interval; use 3 or more to know whether it is real."];

    /// <summary>Field errors (e.g. seeds: must be 1..20, transfer.epochs: ...); empty when valid.</summary>
    public IReadOnlyList<FieldError> Validate()
    {
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(Target))
            errors.Add(new("target", "required."));
        if (string.IsNullOrWhiteSpace(Source))
            errors.Add(new("source", "required."));
        if (Seeds is < 1 or > 20)
            errors.Add(new("seeds", "must be 1..20."));
        if (PerClass is < Experiment.MinPerClass)
            errors.Add(new("perClass", $"must be at least {Experiment.MinPerClass}: experiments refuse classes with fewer training images."));
        if (Scratch?.LearningRate is <= 0 or > 10)
            errors.Add(new("scratch.learningRate", "must be in (0, 10]."));
        if (DialsFromPreset && Preset != AutoPreset && !Presets.All.Any(p => p.Id.Equals(Preset, StringComparison.OrdinalIgnoreCase)))
            errors.Add(new("preset", $"unknown '{Preset}'. Known: {AutoPreset}, {string.Join(", ", Presets.All.Select(p => p.Id))}."));
        errors.AddRange(Dials.Validate().Select(e => e.Under("transfer")));
        return errors;
    }
}
