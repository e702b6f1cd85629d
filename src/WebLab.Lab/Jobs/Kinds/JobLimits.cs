using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Lab.Jobs.Kinds;

/// <summary>
/// What one job may ask of a shared lab ("WebLab:Limits" settings): training budgets, data sizes, seeds and sweep sizes.
/// The engine's own ranges say what is meaningful; these say what one person may take from the group. Kinds check
/// their specs against them when they are submitted (field errors, so a 400 with the path of the field over its cap).
/// </summary>
public sealed class JobLimits
{
    /// <summary>Most epochs of any arm (transfer, scratch) or pretraining.</summary>
    public int MaxEpochs { get; set; } = 1000;

    /// <summary>Most optimiser steps of any arm.</summary>
    public int MaxSteps { get; set; } = 1_000_000;

    /// <summary>Most training images per class a spec may ask for.</summary>
    public int MaxPerClass { get; set; } = 100_000;

    /// <summary>Largest first seed (seeds count up from it; far beyond this they would overflow).</summary>
    public int MaxFirstSeed { get; set; } = 1_000_000;

    /// <summary>Most points one sweep may have; never more than the engine's <see cref="SweepSpec.MaxPoints"/>.</summary>
    public int MaxSweepPoints { get; set; } = SweepSpec.MaxPoints;

    /// <summary>
    /// Wall-clock deadlines by kind name, overriding the kind's own <see cref="JobKind.DefaultDeadline"/>
    /// ("WebLab:Limits:Deadlines:sweep" = "2.00:00:00"). Fixed on a job when it is submitted.
    /// </summary>
    public Dictionary<string, TimeSpan> Deadlines { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a job of <paramref name="kind"/> may run, from its first start.</summary>
    public TimeSpan DeadlineFor(JobKind kind) => Deadlines.TryGetValue(kind.Name, out var deadline) ? deadline : kind.DefaultDeadline;

    /// <summary>Adds an error for each budget, data size or seed of <paramref name="spec"/> over its cap (paths under <paramref name="path"/>).</summary>
    public void CheckExperiment(ExperimentSpec spec, string path, SpecErrors errors) =>
        errors.AddRange(ExperimentErrors(spec).Select(e => path.Length == 0 ? e : e.Under(path)));

    /// <summary>Budgets, data size and seed of <paramref name="spec"/> over their caps, with paths relative to the spec.</summary>
    public IReadOnlyList<FieldError> ExperimentErrors(ExperimentSpec spec)
    {
        var errors = new List<FieldError>();
        if (EffectiveDials(spec, errors) is { } dials)
            errors.AddRange(BudgetErrors(dials.Epochs, dials.Steps).Select(e => e.Under("transfer")));
        errors.AddRange(BudgetErrors(spec.Scratch?.Epochs, spec.Scratch?.Steps).Select(e => e.Under("scratch")));
        errors.AddRange(AtMost(spec.PerClass, MaxPerClass, "perClass"));
        errors.AddRange(SeedErrors(spec.FirstSeed, "firstSeed"));
        return errors;
    }

    /// <summary>Adds an error for epochs or steps over their caps (paths "{path}.epochs", "{path}.steps").</summary>
    public void CheckBudget(int? epochs, int? steps, string path, SpecErrors errors) =>
        errors.AddRange(BudgetErrors(epochs, steps).Select(e => path.Length == 0 ? e : e.Under(path)));

    public void CheckPerClass(int? perClass, string path, SpecErrors errors) => errors.AddRange(AtMost(perClass, MaxPerClass, path));

    public void CheckSeed(int seed, string path, SpecErrors errors) => errors.AddRange(SeedErrors(seed, path));

    /// <summary>
    /// True when the sweep's size (the product of its axes' lengths, computed before any point is built) is within the
    /// cap; otherwise adds the error at "axes". Checked before enumerating, so a grid of 10^9 points costs nothing.
    /// </summary>
    public bool CheckSweepSize(SweepSpec spec, SpecErrors errors)
    {
        var max = Math.Min(MaxSweepPoints, SweepSpec.MaxPoints);
        var count = spec.PointCount();
        if (count <= max)
            return true;
        var size = count == long.MaxValue ? "more than 9.2e18" : count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        errors.Add("axes", $"{size} points ({string.Join(" x ", spec.Axes.Select(a => a.Values.Count))}); at most {max} per sweep in this lab.");
        return false;
    }

    /// <summary>The transfer dials the spec will train with: its own, or the defaults with its overrides when a preset decides the rest.</summary>
    private static TransferDials? EffectiveDials(ExperimentSpec spec, List<FieldError> errors)
    {
        if (!spec.DialsFromPreset)
            return spec.Dials;
        try
        {
            // Presets' own budgets are validated data; only what the submitter overrides can exceed the caps.
            var plain = spec with { Preset = null, Transfer = null, Overrides = null };
            return (spec.Overrides ?? new Dictionary<string, string>()).Aggregate(plain, (s, o) => DialNames.With(s, o.Key, o.Value)).Dials;
        }
        catch (BadInputException e)
        {
            errors.Add(new FieldError("overrides", e.Message));
            return null;
        }
    }

    private IEnumerable<FieldError> BudgetErrors(int? epochs, int? steps) =>
        AtMost(epochs, MaxEpochs, "epochs").Concat(AtMost(steps, MaxSteps, "steps"));

    private IEnumerable<FieldError> SeedErrors(int seed, string path)
    {
        if (seed < 0 || seed > MaxFirstSeed)
            yield return new FieldError(path, $"must be 0..{MaxFirstSeed} in this lab.");
    }

    private static IEnumerable<FieldError> AtMost(int? value, int max, string path)
    {
        if (value > max)
            yield return new FieldError(path, $"{value} is over this lab's cap of {max}.");
    }
}

/// <summary>What a kind checks a submitted spec against: the lab's references and its caps.</summary>
public sealed record SpecContext(LabReferences References, JobLimits Limits);
