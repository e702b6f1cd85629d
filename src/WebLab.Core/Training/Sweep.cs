using WebLab.Data;
using WebLab.Transfer;

namespace WebLab.Training;

/// <summary>One swept setting and its values (as text; "all" clears a nullable setting such as perClass).</summary>
public sealed record SweepAxis(string Setting, IReadOnlyList<string> Values);

/// <summary>A grid of experiments: every combination of the axes' values applied to <paramref name="Base"/>.</summary>
public sealed record SweepSpec(ExperimentSpec Base, IReadOnlyList<SweepAxis> Axes, string? Name = null)
{
    /// <summary>The most points one sweep may have.</summary>
    public const int MaxPoints = 200;

    /// <summary>
    /// How many points the grid has: the product of the axes' lengths, computed without building a point and capped at
    /// <see cref="long.MaxValue"/>, so a few kilobytes of axes (three 1,000-value axes: 10^9 points) are refused at once.
    /// </summary>
    public long PointCount()
    {
        long count = 1;
        foreach (var axis in Axes)
            count = axis.Values.Count == 0 ? 0 : count > long.MaxValue / axis.Values.Count ? long.MaxValue : count * axis.Values.Count;
        return count;
    }

    /// <summary>The data-efficiency sweep of the field guide: the gap as images per class grow.</summary>
    public static SweepSpec DataEfficiency(ExperimentSpec spec, IReadOnlyList<string>? sizes = null) =>
        new(spec, [new SweepAxis("perClass", sizes ?? ["5", "10", "25", "50", "100", "all"])], "data efficiency");

    /// <summary>Every grid point: its settings and the experiment it runs. Validated before anything runs.</summary>
    public IReadOnlyList<(IReadOnlyDictionary<string, string> Settings, ExperimentSpec Spec)> Points()
    {
        if (Axes.Count == 0 || Axes.Any(a => a.Values.Count == 0))
            throw new BadInputException("A sweep needs at least one axis with at least one value.");
        if (PointCount() is var count and > MaxPoints)
            throw new BadInputException($"The sweep has {count} points; at most {MaxPoints} are allowed.");
        IEnumerable<Dictionary<string, string>> combos = [new Dictionary<string, string>()];
        foreach (var axis in Axes)
            combos = combos.SelectMany(c => axis.Values.Select(v => new Dictionary<string, string>(c) { [axis.Setting] = v }));
        var points = new List<(IReadOnlyDictionary<string, string>, ExperimentSpec)>();
        foreach (var combo in combos)
        {
            var spec = combo.Aggregate(Base, (s, kv) => DialNames.With(s, kv.Key, kv.Value));
            var label = string.Join(", ", combo.Select(kv => $"{kv.Key}={kv.Value}"));
            var errors = spec.Validate();
            if (errors.Count > 0)
                throw new BadInputException($"Sweep point {label}: {string.Join(" ", errors)}");
            points.Add((combo, spec with { Name = $"{Base.Name ?? Name ?? "sweep"} [{label}]", CheckpointPath = null }));
        }
        return points;
    }
}

/// <summary>One grid point's outcome.</summary>
public sealed record SweepPoint(IReadOnlyDictionary<string, string> Settings, ExperimentResult Result)
{
    public double TransferAccuracy => Result.TransferArm.TestAccuracy.Mean;

    public double? ScratchAccuracy => Result.Arms.Count > 1 ? Result.ScratchArm.TestAccuracy.Mean : null;
}

/// <summary>All points of a sweep.</summary>
public sealed record SweepResult(string Name, IReadOnlyList<SweepAxis> Axes, IReadOnlyList<SweepPoint> Points, double Seconds, bool Stopped);

/// <summary>Progress of a sweep: which point, and that point's experiment event.</summary>
public sealed record SweepProgress(int Point, int Points, IReadOnlyDictionary<string, string> Settings, ExperimentEvent Event);

/// <summary>Runs sweeps point by point.</summary>
public static class Sweeps
{
    /// <param name="only">Runs this point alone (one task of a job array), else every point in order.</param>
    /// <param name="scratchRuns">
    /// Finished scratch runs by content key (<see cref="Experiment.Run"/>). Without one the sweep keeps its own in memory, so
    /// points that differ only in transfer dials train each seed's scratch run once; <see cref="NoScratchRunCache"/> trains every one.
    /// </param>
    public static SweepResult Run(SweepSpec sweep, IProgress<SweepProgress>? progress = null, RunControl? control = null, DatasetFileOptions? files = null,
        int? only = null, IScratchRunCache? scratchRuns = null, CancellationToken cancellationToken = default)
    {
        scratchRuns ??= new MemoryScratchRunCache();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var points = sweep.Points();
        if (only is { } point && (point < 0 || point >= points.Count))
            throw new BadInputException($"The sweep has {points.Count} points; there is no point {point}.");
        var results = new List<SweepPoint>();
        IEnumerable<int> indices = only is { } one ? [one] : Enumerable.Range(0, points.Count);
        foreach (var i in indices.TakeWhile(_ => control?.StopRequested != true))
        {
            var (settings, spec) = points[i];
            int index = i;
            var forward = progress is null ? null : new InlineProgress<ExperimentEvent>(e => progress.Report(new SweepProgress(index, points.Count, settings, e)));
            var result = Experiment.Run(spec, forward, control, files, scratchRuns, cancellationToken);
            forward?.Report(new ExperimentFinished(result));
            results.Add(new SweepPoint(settings, result));
        }
        return new SweepResult(sweep.Name ?? sweep.Base.Name ?? "sweep", sweep.Axes, results, clock.Elapsed.TotalSeconds,
            results.Count < (only is null ? points.Count : 1));
    }
}
