namespace WebLab.Training;

/// <summary>Learning-rate schedule shape.</summary>
public enum ScheduleKind
{
    Constant,
    Cosine,
    /// <summary>BiT-style: divide by 10 at 30%, 60% and 90% of the budget.</summary>
    Step,
}

/// <summary>
/// A learning-rate schedule as a multiplier of each group's base rate.
/// <paramref name="DecaySpeed"/> stretches or compresses the decay: 1 decays over the whole budget, 2 finishes
/// decaying by half-way ("decay quickly", small or similar targets), 0.5 is only half-way at the end
/// ("train longer before decaying", dissimilar targets). Warmup ramps linearly from 0.
/// </summary>
public sealed record Schedule(ScheduleKind Kind = ScheduleKind.Cosine, int WarmupSteps = 0, double DecaySpeed = 1.0, double MinFactor = 0.0)
{
    private static readonly double[] s_bitMilestones = [0.3, 0.6, 0.9];

    /// <summary>LR multiplier at <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public double Factor(int step, int totalSteps)
    {
        if (DecaySpeed <= 0)
            throw new BadInputException($"Decay speed must be positive (got {DecaySpeed}).");
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
}
