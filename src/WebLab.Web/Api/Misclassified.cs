using WebLab.Data;
using WebLab.Training;

namespace WebLab.Web.Api;

/// <summary>A misclassified test image: its dataset item id and, when the worker rendered it, the URL of its PNG.</summary>
public sealed record MisclassifiedItem(string ItemId, string? Image);

/// <summary>
/// One off-diagonal confusion cell of one arm and seed: test images of <paramref name="TrueClass"/> predicted as
/// <paramref name="PredictedClass"/>. <paramref name="Count"/> is the cell's count; <paramref name="Items"/> lists at
/// most <see cref="Experiment.MaxItemsPerCell"/> of them.
/// </summary>
public sealed record Misclassified(string Arm, int Seed, int True, int Predicted, string TrueClass, string PredictedClass, int Count,
    IReadOnlyList<MisclassifiedItem> Items)
{
    /// <summary>The cell, or null when the result has no such arm, seed or class.</summary>
    /// <param name="rendered">Whether the PNG of an item exists (the worker renders them when the experiment ends).</param>
    public static Misclassified? Of(string jobId, ExperimentResult result, string arm, int seed, int truth, int predicted, Func<string, bool> rendered)
    {
        var run = result.Arms.FirstOrDefault(a => a.Name == arm)?.Runs.FirstOrDefault(r => r.Seed == seed);
        var classes = result.Target.Classes;
        if (run is null || truth < 0 || predicted < 0 || truth >= classes.Count || predicted >= classes.Count || truth >= run.Confusion.Length)
            return null;
        var ids = run.ConfusionCells.GetValueOrDefault($"{truth}->{predicted}") ?? [];
        var items = ids.Select(id => new MisclassifiedItem(id, rendered(ItemImages.FileName(id)) ? ImageUrl(jobId, id) : null)).ToList();
        return new Misclassified(arm, seed, truth, predicted, classes[truth], classes[predicted], run.Confusion[truth][predicted], items);
    }

    public static string ImageUrl(string jobId, string itemId) => $"/api/jobs/{jobId}/items/{ItemImages.FileName(itemId)}";
}
