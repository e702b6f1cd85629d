namespace WebLab.Training;

/// <summary>Learning-rate schedule shape.</summary>
public enum ScheduleKind
{
    Constant,
    Cosine,

    /// <summary>Divide by 10 at 30%, 60% and 90% of the decay span (the BiT paper's summary of its schedule).</summary>
    Step,

    /// <summary>
    /// BiT's staircase as its published code runs it (bit_hyperrule.get_lr): a linear warmup from 0 over the warmup steps,
    /// then the rate divides by 10 after each milestone, a fraction of the whole budget (warmup included).
    /// </summary>
    Staircase,
}

/// <summary>
/// A learning-rate schedule as a multiplier of each group's base rate.
/// <paramref name="DecaySpeed"/> stretches or compresses the decay: 1 decays over the whole budget, 2 finishes
/// decaying by half-way ("decay quickly", small or similar targets), 0.5 is only half-way at the end
/// ("train longer before decaying", dissimilar targets). Warmup ramps linearly from 0.
/// <paramref name="MinFactor"/> is the floor the decay stops at, as a fraction of the base rate: a cosine that
/// finishes early otherwise spends the rest of the budget at a rate of 0, updates that change nothing.
/// </summary>
/// <param name="Milestones">
/// Where <see cref="ScheduleKind.Staircase"/> divides by 10, as fractions of the budget (null: 0.3, 0.6, 0.9). Other kinds ignore it.
/// </param>
public sealed record Schedule(ScheduleKind Kind = ScheduleKind.Cosine, int WarmupSteps = 0, double DecaySpeed = 1.0, double MinFactor = 0.0,
    IReadOnlyList<double>? Milestones = null)
{
    private static readonly double[] s_bitMilestones = [0.3, 0.6, 0.9];

    /// <summary>The staircase's milestones when none are given: the BiT paper's 30, 60 and 90 % of the budget.</summary>
    public static IReadOnlyList<double> DefaultMilestones => s_bitMilestones;

    /// <summary>LR multiplier at <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public double Factor(int step, int totalSteps)
    {
        if (DecaySpeed <= 0)
            throw new BadInputException($"Decay speed must be positive (got {DecaySpeed}).");
        if (Kind == ScheduleKind.Staircase)
            return StaircaseFactor(step, totalSteps);
        if (WarmupSteps > 0 && step < WarmupSteps)
            return (step + 1.0) / WarmupSteps;
        int decaySteps = Math.Max(1, totalSteps - WarmupSteps);
        double progress = Math.Clamp((step - WarmupSteps) * DecaySpeed / decaySteps, 0, 1);
        return Kind switch
        {
            ScheduleKind.Constant => 1.0,
            ScheduleKind.Cosine => MinFactor + (1 - MinFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            ScheduleKind.Step => Math.Max(MinFactor, Math.Pow(0.1, s_bitMilestones.Count(m => progress >= m))),
            _ => throw new InvalidOperationException($"unknown schedule {Kind}"),
        };
    }

    // BiT's code counts the update about to run: warmup is step / warmup (its first update runs at 0, which still feeds the
    // momentum buffer), and a milestone at step s takes effect from step s + 1 ("s < step"). Kept exactly, so the
    // bit-hyperrule preset reproduces get_lr at every step; the milestones scale with the budget so a shorter run keeps the shape.
    private double StaircaseFactor(int step, int totalSteps)
    {
        if (WarmupSteps > 0 && step < WarmupSteps)
            return (double)step / WarmupSteps;
        int decays = (Milestones ?? s_bitMilestones).Count(m => Math.Round(m * totalSteps) < step);
        return Math.Max(MinFactor, Math.Pow(0.1, decays));
    }
}
