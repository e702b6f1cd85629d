namespace WebLab.Data;

/// <summary>A dataset as loaded: its own splits (val and test when it has them), plus what was skipped.</summary>
public sealed record LoadedDataset(
    string Name,
    LabeledImages Train,
    LabeledImages? Val,
    LabeledImages? Test,
    IReadOnlyList<DataProblem> Problems,
    CatalogEntry? Entry,
    bool Flip) : IDisposable
{
    public IReadOnlyList<string> ClassNames => Train.ClassNames;

    /// <summary>Resolves class references - indices ("5") or names ("Sandal") - to indices; null means every class.</summary>
    public IReadOnlyList<int> ResolveClasses(IEnumerable<string>? references)
    {
        if (references is null)
            return [.. Enumerable.Range(0, ClassNames.Count)];
        var result = new List<int>();
        foreach (var raw in references)
        {
            var reference = raw.Trim();
            if (reference.Length == 0)
                continue;
            int index = -1;
            for (int i = 0; i < ClassNames.Count; i++)
            {
                if (string.Equals(ClassNames[i], reference, StringComparison.OrdinalIgnoreCase))
                    index = i;
            }
            if (index < 0 && int.TryParse(reference, out var parsed))
                index = parsed;
            if (index < 0 || index >= ClassNames.Count)
                throw new BadInputException(
                    $"{Name} has no class '{reference}'. Classes: " +
                    string.Join(", ", ClassNames.Select((n, i) => $"{i}={n}")) + ".");
            result.Add(index);
        }
        return result;
    }

    public void Dispose()
    {
        Train.Dispose();
        Val?.Dispose();
        Test?.Dispose();
    }
}
