namespace WebLab.Data.Tiles;

/// <summary>Which slots of a tile file hold one split's images, with their labels and ids (relative paths).</summary>
public sealed record TileSplit(int[] Positions, int[] Labels, string[] Ids);

/// <summary>What a tile file holds: its shape, the classes, each split's slots, and the files that were skipped.</summary>
public sealed record TileIndex(int Channels, int Size, int Slots, IReadOnlyList<string> ClassNames,
    IReadOnlyDictionary<string, TileSplit> Splits, IReadOnlyList<DataProblem> Problems)
{
    /// <summary>The splits as views of <paramref name="store"/>, which passes to them (released with the last view).</summary>
    public ImageFolder.Loaded Open(TileStore store)
    {
        using (store)
        {
            var splits = Splits.ToDictionary(s => s.Key,
                s => new LabeledImages(store.Share(), s.Value.Positions, s.Value.Labels, ClassNames, s.Value.Ids));
            return new ImageFolder.Loaded(splits, Problems, ClassNames);
        }
    }
}
